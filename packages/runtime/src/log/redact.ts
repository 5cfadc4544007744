// Secrets never reach logs, audit rows or status output: values under secret-looking keys are
// replaced, at any depth, before anything is written.

export const REDACTED = '[redacted]';

const SECRET_KEY_RE =
  /(pass(word|wd|phrase)?|secret|token|api[-_]?key|apikey|authorization|auth[-_]?header|cookie|credential|private[-_]?key|signing[-_]?key|session[-_]?key|dsn)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY_RE.test(key);
}

/** A deep copy of `value` with every secret-keyed value replaced. Shares nothing it had to change. */
export function redactSecrets<T>(value: T, seen = new WeakSet<object>()): T {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]' as T;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v: unknown) => redactSecrets(v, seen)) as T;
  if (value instanceof Error || value instanceof Date || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redactSecrets(v, seen);
  }
  return out as T;
}

/** Replace the password part of a URL (`postgres://u:pw@host`) so it can be shown. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]+:)[^@]*@/i, `$1${REDACTED}@`);
}
