// Redaction by value: the secrets this gateway knows (from its environment and config) and the
// shapes a secret has whoever it belongs to (`Bearer …`, `Basic …`, URL userinfo) are replaced
// in any text before it is logged, written to status, the ledger or the audit log.
import { isSecretKey, REDACTED } from './redact.js';
import { serializeThrown } from './serialize-thrown.js';

export interface SecretScrubber {
  /** `text` with every known secret and every secret-shaped substring replaced by `[redacted]`. */
  scrub(text: string): string;
  /** A deep copy with secret-keyed values redacted, errors serialised, and every string scrubbed. */
  scrubDeep<T>(value: T): T;
  /** Learn one more secret (a token fetched at run time). Values shorter than the minimum are ignored. */
  add(secret: string): void;
  /** How many distinct values it scrubs (for tests and the bench; never the values). */
  readonly size: number;
}

export interface SecretScrubberOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** The parsed config: values under secret-looking keys, at any depth, are secrets. */
  config?: unknown;
  /** Shorter values are not scrubbed: `[redacted]` in place of every "admin" would hide more than it protects. Default 6. */
  minLength?: number;
}

/** Env names whose value is a secret: `SLACK_BOT_TOKEN`, `ANTHROPIC_API_KEY`, `SENTRY_DSN`, … */
const SECRET_ENV_RE = /(?:^|_)(?:TOKEN|KEY|SECRET|PASSWORD|PASSWD|PAT|PASS|CREDENTIALS?|DSN)$/i;
const DEFAULT_MIN_LENGTH = 6;

// Shapes that are secrets without prior knowledge. User and password stop at a quote so a match
// never runs across the fields of a JSON line. Each names the literal text every match contains
// (`needs`): a string without it is left as is without running the expression. Most strings a
// gateway logs hold none, and V8 compiles an expression to machine code on its first global
// replace (≈ 5 ms of a boot, three expressions replaced ≈ 680 times each; decision 0177).
export const SECRET_SHAPES: readonly { needs: readonly string[]; re: RegExp; replace: (match: string, ...groups: string[]) => string }[] = [
  // RFC 6750 bearer token; 8+ characters so "Bearer token" in prose stays.
  { needs: ['Bearer'], re: /\b(Bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*/g, replace: (_m, lead) => `${lead}${REDACTED}` },
  // RFC 7617 basic credentials: only when the base64 really decodes to `user:password`.
  { needs: ['Basic'], re: /\b(Basic\s+)([A-Za-z0-9+/]{6,}={0,2})/g, replace: (m, lead, b64) => (isBasicCredential(b64) ? `${lead}${REDACTED}` : m) },
  // RFC 3986 userinfo: `scheme://user:password@` keeps the user, hides the password.
  { needs: ['://', '@'], re: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"'\\]*:)[^\s/@"'\\]+@/gi, replace: (_m, head) => `${head}${REDACTED}@` },
];

export function createSecretScrubber(options: SecretScrubberOptions = {}): SecretScrubber {
  return new ValueScrubber(options.minLength ?? DEFAULT_MIN_LENGTH, collectSecrets(options));
}

/** Every value the options name as secret. */
function collectSecrets(options: SecretScrubberOptions): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) continue;
    if (SECRET_ENV_RE.test(name)) {
      found.push(value);
      // A list of secrets (KORA_MCP_BEARER_TOKEN=a,b): each one alone is a secret too.
      if (value.includes(',')) found.push(...value.split(',').map((v) => v.trim()).filter((v) => v.length > 0));
    }
    found.push(...urlPasswords(value));
  }
  walkConfig(options.config, false, found, new WeakSet());
  return found;
}

function walkConfig(value: unknown, underSecretKey: boolean, found: string[], seen: WeakSet<object>): void {
  if (typeof value === 'string') {
    if (underSecretKey) found.push(value);
    found.push(...urlPasswords(value));
    return;
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const v of value) walkConfig(v, underSecretKey, found, seen);
    return;
  }
  for (const [k, v] of Object.entries(value)) walkConfig(v, underSecretKey || isSecretKey(k), found, seen);
}

/** The password of a URL with userinfo, as written and percent-decoded (drivers report either). */
function urlPasswords(text: string): string[] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:([^@/\s]+)@/i.exec(text.trim());
  if (!m?.[1]) return [];
  const raw = m[1];
  try {
    const decoded = decodeURIComponent(raw);
    return decoded === raw ? [raw] : [raw, decoded];
  } catch {
    return [raw];
  }
}

function isBasicCredential(b64: string): boolean {
  const text = Buffer.from(b64, 'base64').toString('utf8');
  // Printable `user:password`, with no replacement characters from bytes that were not UTF-8.
  return /^[^:\s\p{Cc}\uFFFD]*:[^\s\p{Cc}\uFFFD]+$/u.test(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

class ValueScrubber implements SecretScrubber {
  readonly #minLength: number;
  readonly #secrets = new Set<string>();
  #matcher: RegExp | null | undefined;

  constructor(minLength: number, secrets: string[]) {
    this.#minLength = minLength;
    for (const s of secrets) this.add(s);
  }

  get size(): number {
    return this.#secrets.size;
  }

  add(secret: string): void {
    for (const form of [secret, secret.trim()]) {
      if (form.length < this.#minLength || this.#secrets.has(form)) continue;
      this.#secrets.add(form);
      // In a JSON line (a log line, a status file) a secret with quotes or backslashes appears escaped.
      const json = JSON.stringify(form).slice(1, -1);
      if (json !== form) this.#secrets.add(json);
      this.#matcher = undefined;
    }
  }

  scrub(text: string): string {
    let out = text;
    const matcher = this.#known();
    if (matcher) out = out.replace(matcher, REDACTED);
    for (const shape of SECRET_SHAPES) {
      if (shape.needs.every((part) => out.includes(part))) out = out.replace(shape.re, shape.replace as (m: string, ...g: string[]) => string);
    }
    return out;
  }

  scrubDeep<T>(value: T): T {
    return this.#deep(value, new WeakSet()) as T;
  }

  #deep(value: unknown, seen: WeakSet<object>): unknown {
    if (typeof value === 'string') return this.scrub(value);
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return '[circular]';
    seen.add(value);
    if (value instanceof Error) return this.#deep(serializeThrown(value), seen);
    if (Array.isArray(value)) return value.map((v: unknown) => this.#deep(v, seen));
    if (value instanceof Date) return value;
    if (ArrayBuffer.isView(value)) return '[binary]';
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : this.#deep(v, seen);
    }
    return out;
  }

  /** One alternation of every known value, longest first so a secret containing another is replaced whole. */
  #known(): RegExp | null {
    if (this.#matcher !== undefined) return this.#matcher;
    const sorted = [...this.#secrets].sort((a, b) => b.length - a.length);
    this.#matcher = sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : null;
    return this.#matcher;
  }
}

