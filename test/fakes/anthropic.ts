// A local Anthropic Messages API for tests: `POST /v1/messages` in the API's wire format, on
// 127.0.0.1 and a free port, so the real `@anthropic-ai/sdk` is pointed at it with `baseURL`.
//
//   const api = await startFakeAnthropic();          // api.url → ANTHROPIC_BASE_URL / baseURL
//   api.enqueue(toolUse('lookup', { q: 'x' }), text('done'));   // answered in order, then the default
//   api.enqueue(apiError(429, { retryAfter: 0.01 }));           // an error body + retry-after header
//   api.respondWith((req) => text(`model was ${req.body.model}`)); // when the queue is empty
//   api.requests                                      // every request: body, headers, path, time
//   await api.close();
//
// A scripted answer is one of:
//   text(s, opts?)            a message with one text block (stop_reason end_turn)
//   toolUse(name, input, o?)  a message with a tool_use block (stop_reason tool_use), text optional
//   message({ content, stopReason, usage, model })   any message
//   apiError(status, { type, message, retryAfter, retryAfterMs })   `{type:'error', error:{type, message}}`
// Each takes `delayMs` (hold the answer; the timeout tests) and `headers`.
//
// Without a script the fake echoes: its text is the first line of the system prompt it got,
// then ` | `, then the last user text (so a channel test can check the voice it answered in).
// Usage is counted from the request (about 4 characters a token) unless a script gives it.
// Requests the real API would refuse get a 400 `invalid_request_error`: no model or max_tokens,
// no messages, a first message that is not the user's, or a tool_use / tool_result pair broken
// (every tool_use answered by a tool_result in the next user message, and nothing else).
import { Fastify, type FastifyInstance } from '@kora/runtime/http';
import type { AddressInfo } from 'node:net';

export type FakeBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: unknown; is_error?: boolean };

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** What the fake received, as the API would read it. */
export interface RecordedRequest {
  readonly path: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: MessagesBody;
  readonly at: number;
}

export interface MessagesBody {
  model: string;
  max_tokens: number;
  system?: string | { type: 'text'; text: string; cache_control?: { type: string } }[];
  messages: { role: 'user' | 'assistant'; content: string | FakeBlock[] }[];
  tools?: { name: string; description?: string; input_schema: Record<string, unknown>; cache_control?: { type: string } }[];
  tool_choice?: { type: string; name?: string };
  [key: string]: unknown;
}

interface Timing {
  delayMs?: number;
  headers?: Record<string, string>;
}

export type FakeAnswer =
  | (Timing & { kind: 'message'; content: FakeBlock[]; stopReason: string; usage?: Partial<FakeUsage>; model?: string })
  | (Timing & { kind: 'error'; status: number; type: string; message: string });

export type FakeScript = (request: RecordedRequest) => FakeAnswer | Promise<FakeAnswer>;

export interface FakeAnthropic {
  /** The base URL to give the SDK (no trailing slash). */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** Answer the next requests with these, in order (before `respondWith` and the echo). */
  enqueue(...answers: FakeAnswer[]): void;
  /** Answer with `script` whenever the queue is empty; `null` goes back to the echo. */
  respondWith(script: FakeScript | null): void;
  /** Forget the queue, the script and the recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

let ids = 0;
const nextId = (prefix: string) => `${prefix}_fake${String(++ids).padStart(6, '0')}`;

export function text(value: string, options: Timing & { usage?: Partial<FakeUsage>; model?: string; stopReason?: string } = {}): FakeAnswer {
  return { kind: 'message', content: [{ type: 'text', text: value }], stopReason: options.stopReason ?? 'end_turn', ...options };
}

export function toolUse(name: string, input: Record<string, unknown>, options: Timing & { id?: string; text?: string; usage?: Partial<FakeUsage> } = {}): FakeAnswer {
  const content: FakeBlock[] = [];
  if (options.text) content.push({ type: 'text', text: options.text });
  content.push({ type: 'tool_use', id: options.id ?? nextId('toolu'), name, input });
  return { kind: 'message', content, stopReason: 'tool_use', ...options };
}

export function message(options: Timing & { content: FakeBlock[]; stopReason?: string; usage?: Partial<FakeUsage>; model?: string }): FakeAnswer {
  return { kind: 'message', stopReason: options.stopReason ?? 'end_turn', ...options };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** An error answer; `retryAfter` (seconds, may be fractional) and `retryAfterMs` become the headers the SDK reads. */
export function apiError(status: number, options: Timing & { type?: string; message?: string; retryAfter?: number | string; retryAfterMs?: number } = {}): FakeAnswer {
  const headers: Record<string, string> = { ...options.headers };
  if (options.retryAfter !== undefined) headers['retry-after'] = String(options.retryAfter);
  if (options.retryAfterMs !== undefined) headers['retry-after-ms'] = String(options.retryAfterMs);
  return {
    kind: 'error',
    status,
    type: options.type ?? ERROR_TYPES[status] ?? 'api_error',
    message: options.message ?? `fake ${status}`,
    headers,
    ...(options.delayMs !== undefined ? { delayMs: options.delayMs } : {}),
  };
}

/** The echo: the system prompt's first line and the last user text. */
export function echo(request: RecordedRequest): FakeAnswer {
  return text(`${firstSystemLine(request.body)} | ${lastUserText(request.body)}`);
}

export function firstSystemLine(body: MessagesBody): string {
  const system = typeof body.system === 'string' ? body.system : (body.system?.[0]?.text ?? '');
  return system.split('\n')[0] ?? '';
}

export function lastUserText(body: MessagesBody): string {
  for (let i = body.messages.length - 1; i >= 0; i--) {
    const m = body.messages[i];
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    const texts = m.content.filter((b): b is Extract<FakeBlock, { type: 'text' }> => b.type === 'text').map((b) => b.text);
    if (texts.length > 0) return texts.join('');
  }
  return '';
}

/** Why the real API would refuse this body, or null. */
export function invalidRequest(body: MessagesBody): string | null {
  if (typeof body?.model !== 'string' || body.model === '') return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  if (body.messages[0]?.role !== 'user') return 'messages: first message must use the "user" role';
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i]!;
    const blocks = typeof m.content === 'string' ? [] : m.content;
    const uses = m.role === 'assistant' ? blocks.filter((b) => b.type === 'tool_use').map((b) => (b as { id: string }).id) : [];
    const results = m.role === 'user' ? blocks.filter((b) => b.type === 'tool_result').map((b) => (b as { tool_use_id: string }).tool_use_id) : [];
    if (results.length > 0) {
      const prev = body.messages[i - 1];
      const asked = prev?.role === 'assistant' && typeof prev.content !== 'string' ? prev.content.filter((b) => b.type === 'tool_use').map((b) => (b as { id: string }).id) : [];
      for (const id of results) if (!asked.includes(id)) return `messages.${i}: unexpected tool_use_id found in tool_result blocks: ${id}. Each tool_result block must have a corresponding tool_use block in the previous message.`;
    }
    if (uses.length > 0 && i + 1 < body.messages.length) {
      const next = body.messages[i + 1]!;
      const answered = typeof next.content === 'string' ? [] : next.content.filter((b) => b.type === 'tool_result').map((b) => (b as { tool_use_id: string }).tool_use_id);
      for (const id of uses) if (!answered.includes(id)) return `messages.${i + 1}: tool_use ids were found without tool_result blocks immediately after: ${id}`;
    }
  }
  return null;
}

function countUsage(body: MessagesBody, content: FakeBlock[], given: Partial<FakeUsage> | undefined): FakeUsage {
  const approx = (value: unknown) => Math.max(1, Math.ceil(JSON.stringify(value ?? '').length / 4));
  return {
    input_tokens: given?.input_tokens ?? approx([body.system, body.messages, body.tools]),
    output_tokens: given?.output_tokens ?? approx(content),
    cache_creation_input_tokens: given?.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: given?.cache_read_input_tokens ?? 0,
  };
}

export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const queue: FakeAnswer[] = [];
  let script: FakeScript | null = null;
  const pending = new Set<() => void>();
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 32 * 1024 * 1024 });

  app.post('/v1/messages', async (request, reply) => {
    const recorded: RecordedRequest = {
      path: request.url,
      headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v])),
      body: request.body as MessagesBody,
      at: Date.now(),
    };
    requests.push(recorded);
    const invalid = invalidRequest(recorded.body);
    const answer: FakeAnswer = invalid ? apiError(400, { message: invalid }) : (queue.shift() ?? (await (script ?? echo)(recorded)));
    if (answer.delayMs) {
      // Held until the delay passes, the client goes away, or the fake closes.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          pending.delete(done);
          reply.raw.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, answer.delayMs);
        pending.add(done);
        reply.raw.once('close', done);
      });
      if (reply.raw.destroyed || request.raw.socket.destroyed) return reply.hijack();
    }
    void reply.headers({ 'request-id': nextId('req'), ...answer.headers });
    if (answer.kind === 'error') return reply.code(answer.status).send({ type: 'error', error: { type: answer.type, message: answer.message } });
    return reply.send({
      id: nextId('msg'),
      type: 'message',
      role: 'assistant',
      model: answer.model ?? recorded.body.model,
      content: answer.content,
      stop_reason: answer.stopReason,
      stop_sequence: null,
      usage: countUsage(recorded.body, answer.content, answer.usage),
    });
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...answers) => void queue.push(...answers),
    respondWith(next) {
      script = next;
    },
    reset() {
      queue.length = 0;
      script = null;
      requests.length = 0;
    },
    async close() {
      for (const release of [...pending]) release();
      await app.close();
    },
  };
}
