// The CLI as a client of the running gateway's admin API (`kora ask`, `kora usage`, `kora
// probes`, …). The gateway is found as `kora status` finds it (the home's status file); the
// `web` daemon's published `admin UI` endpoint gives the admin server's origin; the admin token
// comes from KORA_ADMIN_TOKEN, else the dev run's $KORA_HOME/admin_token. The token is sent,
// never printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from '../config/locate.js';
import { describeError, ERROR_CODES, KoraError, type KoraErrorCode } from '../errors.js';
import { readStatusFile, statusFilePath } from '../gateway/status-file.js';
import type { StoredStatus } from '../gateway/status-schema.js';
import { escapeControl, printJson, type Io } from './output.js';
import { findHome } from './status-command.js';

export const ADMIN_TOKEN_ENV = 'KORA_ADMIN_TOKEN';
export const ADMIN_TOKEN_FILE = 'admin_token';
/** The endpoint the `web` daemon publishes; its origin is the admin API's. */
export const ADMIN_ENDPOINT = 'admin UI';
/** A reply can run a tool-use loop of several model calls: wait for it, within reason. */
/** What a read of the admin API may take before the CLI gives up. */
export const ADMIN_READ_TIMEOUT_MS = 30_000;

export class AdminApiError extends KoraError {}

export interface AdminCommandOptions {
  configPath?: string | undefined;
  json?: boolean;
  env: Env;
  cwd: string;
  now?: number;
}

export interface AdminApi {
  readonly origin: string;
  readonly token: string;
  readonly tokenFrom: string;
}

/** Where the running gateway's admin API is, and the token to call it with. Throws a coded error saying what to do. */
export function locateAdminApi(options: AdminCommandOptions): AdminApi {
  const found = findHome(options);
  if (!found.ok) throw new KoraError('KORA_ERR_CONFIG_INVALID', found.message);
  const { home } = found;
  const reading = readStatusFile(statusFilePath(home), { now: options.now ?? Date.now() });
  if (reading.kind !== 'live' && reading.kind !== 'not_responding') {
    const why = reading.kind === 'none' ? 'no status file' : reading.kind === 'unreadable' || reading.kind === 'malformed' ? `its status file cannot be read: ${reading.error}` : `the last one ${reading.kind === 'stale' ? 'died' : 'stopped'}`;
    throw new AdminApiError('KORA_ERR_GATEWAY_NOT_RUNNING', `No gateway is running for home ${home} (${why}): start it with \`kora daemon\` (see \`kora status\`)`, { home });
  }
  const origin = adminOrigin(reading.status);
  if (!origin) {
    const web = reading.status.daemons.find((d) => d.name === 'web');
    const state = web ? `its web daemon is ${web.state}${web.error ? ` (${web.error})` : ''}` : 'it has no web daemon';
    throw new AdminApiError(
      'KORA_ERR_ADMIN_API_UNAVAILABLE',
      `The gateway for home ${home} serves no admin API: ${state}. Enable the \`web\` plugin (\`kora plugins enable web\`) and restart the gateway`,
      { home },
    );
  }
  const fromEnv = options.env[ADMIN_TOKEN_ENV]?.trim();
  if (fromEnv) return { origin, token: fromEnv, tokenFrom: ADMIN_TOKEN_ENV };
  const file = join(home, ADMIN_TOKEN_FILE);
  let token = '';
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch {
    // none kept: said below
  }
  if (!token) throw new AdminApiError('KORA_ERR_ADMIN_UNAUTHORIZED', `No admin token to call the admin API with: set ${ADMIN_TOKEN_ENV} to the gateway's admin token (only a dev run keeps one in ${file})`, { file });
  return { origin, token, tokenFrom: file };
}

function adminOrigin(status: StoredStatus): string | null {
  const daemons = [...status.daemons].sort((a, b) => Number(b.name === 'web') - Number(a.name === 'web'));
  for (const d of daemons) {
    if (d.state !== 'running') continue;
    const endpoint = d.endpoints.find((e) => e.name === ADMIN_ENDPOINT);
    if (!endpoint) continue;
    try {
      return new URL(endpoint.url).origin;
    } catch {
      // not a URL: look on
    }
  }
  return null;
}

interface ApiFailure {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly kora?: unknown;
}

export interface AdminCall {
  method: 'GET' | 'POST';
  body?: unknown;
  timeoutMs?: number;
  /** The plugin that serves the route, named when the gateway has no such route. */
  servedBy: string;
}

/** One call of the admin API; a JSON answer, or a coded error saying what to do. */
export async function callAdminApi<T>(api: AdminApi, path: string, init: AdminCall): Promise<T> {
  const url = `${api.origin}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method,
      headers: { authorization: `Bearer ${api.token}`, accept: 'application/json', ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(init.timeoutMs ?? ADMIN_READ_TIMEOUT_MS),
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : describeError(err);
    throw new AdminApiError('KORA_ERR_ADMIN_API_UNAVAILABLE', `The admin API at ${api.origin} cannot be reached (${cause}): check \`kora status\`; the web daemon may have stopped`, { url }, { cause: err });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.ok && body !== undefined) return body as T;
  const error: ApiFailure = (body as { error?: ApiFailure } | undefined)?.error ?? {};
  const message = typeof error.message === 'string' ? error.message : text.slice(0, 200) || response.statusText;
  if (response.status === 401) {
    throw new AdminApiError('KORA_ERR_ADMIN_UNAUTHORIZED', `The admin API refused the token from ${api.tokenFrom}: set ${ADMIN_TOKEN_ENV} to the gateway's admin token`, { status: 401 });
  }
  if (error.code === 'engine_unavailable') throw new AdminApiError('KORA_ERR_ENGINE_UNAVAILABLE', message, { status: response.status });
  // A 404 that carries a catalogued code is the route's own answer (an unknown proposal), not a missing route.
  if (response.status === 404 && !(typeof error.kora === 'string' && error.kora in ERROR_CODES)) {
    throw new AdminApiError('KORA_ERR_ADMIN_API', `The admin API has no ${init.method} ${path}: enable the \`${init.servedBy}\` plugin in the gateway (it serves it: \`kora plugins enable ${init.servedBy}\`) and restart the gateway`, { status: 404 });
  }
  // The engine's own codes (KORA_ERR_REASONING_API, _TIMEOUT, _REFUSED…) keep their catalogue entry.
  const code: KoraErrorCode = typeof error.kora === 'string' && error.kora in ERROR_CODES ? (error.kora as KoraErrorCode) : 'KORA_ERR_ADMIN_API';
  throw new AdminApiError(code, `The admin API answered ${response.status}${typeof error.code === 'string' ? ` ${error.code}` : ''}: ${message}`, { status: response.status });
}

/** A read-only command: GET the route, print the JSON with --json, else the human rendering. */
export async function runAdminRead<T>(options: AdminCommandOptions, io: Io, path: string, servedBy: string, render: (answer: T) => string): Promise<number> {
  const answer = await callAdminApi<T>(locateAdminApi(options), path, { method: 'GET', servedBy });
  if (options.json) printJson(io, answer);
  else io.out(render(answer));
  return 0;
}

/**
 * Rows as aligned columns under a header, every cell escaped (a plugin's text cannot forge a
 * line). The first `textColumns` columns are left-aligned, the rest (numbers) right-aligned.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly unknown[])[], textColumns = 1): string {
  const cells = rows.map((row) => row.map((c) => escapeControl(String(c ?? ''))));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) => row.map((c, i) => (i < textColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}
