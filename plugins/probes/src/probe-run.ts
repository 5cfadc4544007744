// One cycle of `heartbeat.service_probes`: every probe runs (at most `concurrency` at once),
// each under its own timeout, and yields exactly one result — ok, degraded, down, error or
// unconfigured, with its latency and a one-line detail that never carries a secret (no token,
// no URL: a generic probe's URL may hold credentials in its userinfo or query).
import { parseDuration, type Clock, type ProbeResult, type ProbeState } from '@kora/runtime';
import type { HttpProbeConfig, PresetSettings, ProbesSettings } from './config.js';
import { PRESETS } from './presets.js';

/** A body is read this far for `bodyMatch`, never further. */
const BODY_LIMIT = 64 * 1024;

export type ProbeKind = 'preset' | 'http';

export interface ProbeRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ProbeDefinition {
  readonly name: string;
  readonly kind: ProbeKind;
  /** What is probed, safe to show: `GET api.vercel.com/v2/user`. */
  readonly target: string;
  readonly timeoutMs: number;
  /** Null: nothing to send (no token); `unconfigured` says why. */
  readonly request: ProbeRequest | null;
  readonly unconfigured: string | null;
  classify(answer: { status: number; body: string | null; latencyMs: number }): { state: ProbeState; detail: string };
  /** Read the body (for `bodyMatch`); otherwise it is discarded unread. */
  readonly readsBody: boolean;
}

/** States that mean "this needs a person": a probe turning to one is a wake request and an alert. */
export const BAD_STATES: ReadonlySet<ProbeState> = new Set(['down', 'error']);
export const isBad = (state: ProbeState | null | undefined): boolean => state !== null && state !== undefined && BAD_STATES.has(state);

function safeTarget(method: string, url: string): string {
  const u = new URL(url);
  return `${method} ${u.host}${u.pathname}`;
}

function presetProbe(preset: PresetSettings, settings: ProbesSettings): ProbeDefinition {
  const spec = PRESETS[preset.name];
  const url = `${preset.baseUrl}${spec.path(preset.org)}`;
  return {
    name: preset.name,
    kind: 'preset',
    target: safeTarget('GET', url),
    timeoutMs: settings.timeoutMs,
    request: preset.token ? { url, method: 'GET', headers: { authorization: `Bearer ${preset.token}`, accept: 'application/json' } } : null,
    unconfigured: preset.token ? null : `${preset.tokenEnv} is not set`,
    readsBody: false,
    classify({ status, latencyMs }) {
      if (status === 401 || status === 403) return { state: 'error', detail: `HTTP ${status}: ${spec.title} refused ${preset.tokenEnv}` };
      if (status === 429) return { state: 'degraded', detail: `HTTP 429: rate limited by ${spec.title}` };
      if (status >= 500) return { state: 'down', detail: `HTTP ${status}` };
      if (status >= 200 && status < 300) return latencyMs > settings.slowAfterMs ? { state: 'degraded', detail: `HTTP ${status}, slow: ${latencyMs} ms` } : { state: 'ok', detail: `HTTP ${status}` };
      return { state: 'error', detail: `HTTP ${status}: unexpected answer from ${spec.title}` };
    },
  };
}

function httpProbe(probe: HttpProbeConfig, settings: ProbesSettings): ProbeDefinition {
  const method = probe.method ?? 'GET';
  const expected = probe.expectStatus === undefined ? null : Array.isArray(probe.expectStatus) ? probe.expectStatus : [probe.expectStatus];
  const pattern = probe.bodyMatch ? new RegExp(probe.bodyMatch) : null;
  // fetch refuses a URL with credentials in it: they go in a Basic Authorization header instead.
  const url = new URL(probe.url);
  const headers: Record<string, string> = {};
  if (url.username || url.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return {
    name: probe.name,
    kind: 'http',
    target: safeTarget(method, probe.url),
    timeoutMs: probe.timeout ? parseDuration(probe.timeout) : settings.timeoutMs,
    request: { url: url.toString(), method, headers },
    unconfigured: null,
    readsBody: pattern !== null,
    classify({ status, body, latencyMs }) {
      const up = expected ? expected.includes(status) : status >= 200 && status < 400;
      if (!up) return { state: 'down', detail: `HTTP ${status}, expected ${expected ? expected.join(' or ') : '2xx or 3xx'}` };
      if (pattern && !pattern.test(body ?? '')) return { state: 'degraded', detail: `HTTP ${status}, but the body does not match /${probe.bodyMatch}/` };
      if (latencyMs > settings.slowAfterMs) return { state: 'degraded', detail: `HTTP ${status}, slow: ${latencyMs} ms` };
      return { state: 'ok', detail: `HTTP ${status}` };
    },
  };
}

/** Every probe of the settings: the presets, then the generic ones, in config order. */
export function buildProbes(settings: ProbesSettings): ProbeDefinition[] {
  return [...settings.presets.map((p) => presetProbe(p, settings)), ...settings.http.map((p) => httpProbe(p, settings))];
}

export interface CycleOptions {
  readonly clock: Clock;
  readonly concurrency: number;
  /** The task's signal: a cycle cut short still gives every probe a result (`error`, cancelled). */
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
}

/** Run every probe once; one result per probe, in the probes' order, whatever happens. */
export async function runCycle(probes: readonly ProbeDefinition[], options: CycleOptions): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array<ProbeResult>(probes.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= probes.length) return;
      const probe = probes[i]!;
      try {
        results[i] = await runProbe(probe, options);
      } catch (err) {
        // A fault in the probe itself (not an answer from the service): still exactly one result.
        results[i] = { name: probe.name, state: 'error', latencyMs: null, detail: `probe failed: ${oneLine(err)}`, at: options.clock.now() };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, probes.length) }, worker));
  return results;
}

/** What a probe the cycle's own stop cut short says: nothing about the service. */
export const CANCELLED = 'cancelled: the cycle was stopped';

/** A result of a probe the cycle's stop cut short (the task's timeout, the gateway stopping). */
export function isCancelled(result: ProbeResult): boolean {
  return result.state === 'error' && result.detail === CANCELLED;
}

async function runProbe(probe: ProbeDefinition, options: CycleOptions): Promise<ProbeResult> {
  const { clock } = options;
  if (!probe.request) return { name: probe.name, state: 'unconfigured', latencyMs: null, detail: probe.unconfigured, at: clock.now() };
  if (options.signal?.aborted) return { name: probe.name, state: 'error', latencyMs: null, detail: CANCELLED, at: clock.now() };
  const controller = new AbortController();
  let timedOut = false;
  const timer = clock.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, probe.timeoutMs);
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const started = clock.monotonic();
  try {
    const response = await (options.fetch ?? fetch)(probe.request.url, { method: probe.request.method, headers: probe.request.headers, signal: controller.signal, redirect: 'follow' });
    const body = probe.readsBody ? await readLimited(response) : (await response.body?.cancel(), null);
    const latencyMs = Math.round(clock.monotonic() - started);
    const { state, detail } = probe.classify({ status: response.status, body, latencyMs });
    return { name: probe.name, state, latencyMs, detail, at: clock.now() };
  } catch (err) {
    if (timedOut) return { name: probe.name, state: 'down', latencyMs: null, detail: `timed out after ${formatMs(probe.timeoutMs)}`, at: clock.now() };
    if (options.signal?.aborted) return { name: probe.name, state: 'error', latencyMs: null, detail: CANCELLED, at: clock.now() };
    // undici reports a network failure as "fetch failed" with the reason as its cause; anything
    // else (a request that cannot be built, a bug) is the probe's own fault, not the service's.
    if (!(err instanceof Error && err.cause !== undefined)) throw err;
    return { name: probe.name, state: 'down', latencyMs: null, detail: `no answer: ${networkReason(err)}`, at: clock.now() };
  } finally {
    clock.clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function readLimited(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < BODY_LIMIT) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, BODY_LIMIT));
}

/** undici's "fetch failed" hides the reason in `cause` (ECONNREFUSED, ENOTFOUND…); never the URL. */
function networkReason(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return oneLine(cause.message);
  return oneLine(err);
}

/** The first line of an error, with any URL in it cut out (a URL may carry credentials). */
function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').slice(0, 200);
}

export function formatMs(ms: number): string {
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
