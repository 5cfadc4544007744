// Digests of what was said, for the audit rows: the learning loops (plugin `promote`) need to
// know that a question came back, that its answer stayed the same, that a tool kept returning
// the same result — not the words. A digest is the first 16 hex digits of the SHA-256 of the
// normalized text (or of the value's canonical JSON). Exported, so the plugins that match a
// person's text against a digest (the phrasebook) normalize it exactly as the rows were written.
import { createHash } from 'node:crypto';

/** NFKC, lower case, curly apostrophes and quotes as straight ones, runs of spaces as one, no trailing `?!.…` or spaces. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s?!.\u2026]+$/u, '');
}

function hex16(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

/** The digest of a text, after `normalizeText`: two ways of typing the same question share it. */
export function textDigest(text: string): string {
  return hex16(normalizeText(text));
}

/** JSON with object keys sorted at every depth, so `{a,b}` and `{b,a}` digest alike. */
function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The digest of a JSON value (a tool's input or result); a value with no JSON form digests its String(). */
export function valueDigest(value: unknown): string {
  try {
    return hex16(canonicalJson(value));
  } catch {
    return hex16(String(value));
  }
}

/** At most this many words open a question in the rows (`questionOpening`): enough to name a turn of phrase, never the question. */
export const OPENING_WORDS = 3;
const OPENING_MAX_CHARS = 40;

/** The first `OPENING_WORDS` words of the normalized text (letters, digits, apostrophes, hyphens), joined by one space. */
export function openingWords(text: string): string {
  const words = normalizeText(text).match(/[\p{L}\p{N}'-]+/gu) ?? [];
  return words.slice(0, OPENING_WORDS).join(' ').slice(0, OPENING_MAX_CHARS);
}
