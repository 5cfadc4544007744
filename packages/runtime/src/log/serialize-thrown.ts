// A thrown Error as a plain object, so it can be redacted like any other value and JSON keeps
// what an operator needs: its type, message, code, stack, cause and own properties.

export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  code?: unknown;
  cause?: unknown;
  [key: string]: unknown;
}

/** An Error (and its causes) as a plain object; any other value is returned as it is. */
export function serializeThrown(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error)) return value;
  if (depth > 8) return { type: value.name, message: value.message };
  const out: SerializedError = { type: value.constructor?.name || value.name, message: value.message };
  if (value.stack !== undefined) out.stack = value.stack;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'function' && k !== 'stack' && k !== 'message') out[k] = serializeThrown(v, depth + 1);
  }
  if (value.cause !== undefined) out.cause = serializeThrown(value.cause, depth + 1);
  if (value instanceof AggregateError) out.errors = value.errors.map((e: unknown) => serializeThrown(e, depth + 1));
  return out;
}
