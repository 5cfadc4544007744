// Who may call the MCP server: callers from KORA_MCP_BEARER_TOKEN (every capability) and from
// `$KORA_HOME/mcp_callers.yaml` (a SHA-256 of the token and a list of capabilities). Only the
// digests are kept; a presented token is hashed and compared with each in constant time.
import { timingSafeEqual } from 'node:crypto';
import { tokenDigest, z } from '@kora/runtime';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { ALL, isCapability, type Capability } from './capabilities.js';

export const TOKEN_ENV = 'KORA_MCP_BEARER_TOKEN';
export const CALLERS_FILE = 'mcp_callers.yaml';

export interface Caller {
  /** Shown in the audit log (`mcp:<id>`), never the token. */
  readonly id: string;
  readonly capabilities: ReadonlySet<string>;
  /** Where the caller was declared: the env variable, the file, or the dev token file. */
  readonly source: string;
}

/** A caller and the SHA-256 of its token. */
export interface KnownCaller extends Caller {
  readonly digest: Buffer;
}

/** The callers file or the env named a caller badly: the message names the file and the entry. */
export class CallersError extends Error {
  override readonly name = 'CallersError';
}

const callerIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, 'letters, digits and _.@- (at most 64), starting with a letter or digit');

const callerSchema = z
  .object({
    id: callerIdSchema,
    token_sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'the hex SHA-256 of the token (64 hex digits), e.g. from `printf %s "$TOKEN" | sha256sum`'),
    capabilities: z
      .array(z.string().refine(isCapability, { message: 'not a capability (see docs/mcp.md)' }))
      .min(1, 'at least one capability'),
  })
  .strict();

const callersFileSchema = z.array(callerSchema);

/** SHA-256 of a token, the form every comparison and the callers file use. */
export const sha256 = tokenDigest;

/** Callers from the comma-separated KORA_MCP_BEARER_TOKEN: `env-1`, `env-2`… with every capability. */
export function envCallers(value: string | undefined): KnownCaller[] {
  const tokens = (value ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  return tokens.map((token, i) => ({ id: `env-${i + 1}`, capabilities: new Set(ALL), source: TOKEN_ENV, digest: sha256(token) }));
}

/** Callers from the YAML file, or none when it does not exist. Throws CallersError naming the file and the entry. */
export async function fileCallers(file: string): Promise<KnownCaller[]> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CallersError(`${file} cannot be read: ${(err as Error).message}`);
  }
  // The YAML parser is loaded only when there is a file to read (most gateways have none).
  const { parse: parseYaml } = await import('yaml');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new CallersError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  // An empty file lists no caller.
  if (raw === null || raw === undefined) return [];
  const parsed = callersFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const [index, field] = issue.path;
    const where = typeof index === 'number' ? `entry ${index + 1}${entryId(raw, index)}${field !== undefined ? `, field "${String(field)}"` : ''}` : 'the top level (a list of { id, token_sha256, capabilities })';
    throw new CallersError(`${file}: ${where}: ${issue.message}`);
  }
  return parsed.data.map((c) => ({ id: c.id, capabilities: new Set(c.capabilities as Capability[]), source: file, digest: Buffer.from(c.token_sha256, 'hex') }));
}

function entryId(raw: unknown, index: number): string {
  const id = Array.isArray(raw) ? (raw[index] as { id?: unknown } | undefined)?.id : undefined;
  return typeof id === 'string' ? ` (id "${id}")` : '';
}

/** The callers the server answers, looked up by token or by id. */
export class CallerTable {
  readonly #callers: readonly KnownCaller[];

  constructor(callers: readonly KnownCaller[]) {
    const ids = new Map<string, KnownCaller>();
    const digests = new Map<string, KnownCaller>();
    for (const c of callers) {
      const clash = ids.get(c.id);
      if (clash) throw new CallersError(`caller id "${c.id}" is declared twice (${clash.source} and ${c.source}): give each caller its own id`);
      const same = digests.get(c.digest.toString('hex'));
      // One token for two callers would make the second unreachable, and its capabilities a guess.
      if (same) throw new CallersError(`callers "${same.id}" (${same.source}) and "${c.id}" (${c.source}) have the same token: give each caller its own`);
      ids.set(c.id, c);
      digests.set(c.digest.toString('hex'), c);
    }
    this.#callers = callers;
  }

  get size(): number {
    return this.#callers.length;
  }

  ids(): string[] {
    return this.#callers.map((c) => c.id);
  }

  byId(id: string): Caller | undefined {
    return this.#callers.find((c) => c.id === id);
  }

  /** The caller whose token the `Authorization: Bearer` header carries, or null. Every digest is compared, in constant time. */
  authenticate(headers: IncomingHttpHeaders): Caller | null {
    const token = bearerToken(headers.authorization);
    if (token === null) return null;
    const presented = sha256(token);
    let found: KnownCaller | null = null;
    for (const c of this.#callers) if (timingSafeEqual(presented, c.digest) && found === null) found = c;
    return found;
  }
}

/** RFC 6750 §2.1: `Bearer <token>`, the scheme case-insensitive. */
function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match ? match[1]! : null;
}
