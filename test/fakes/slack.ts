// A local Slack Web API server for tests: the real `@slack/web-api` client is pointed at it
// (`slackApiUrl: fake.url`), so what is tested is the library's own wire format, not a mock.
//
//   const slack = await startFakeSlack();            // 127.0.0.1, a free port
//   new WebClient(slack.token, { slackApiUrl: slack.url })   // url ends in "/api/", as the client expects
//   slack.calls                // every call, in order: { method, token, args, status, response }
//   slack.posts()              // the chat.postMessage calls that succeeded: their args
//   slack.fail('chat.postMessage', { status: 500 })             // the next call of that method answers 500
//   slack.fail('chat.postMessage', { error: 'channel_not_found' }) // … or 200 { ok: false, error }
//   slack.fail('chat.postMessage', { status: 429, retryAfter: 0 }, 2) // … 429 with Retry-After, twice
//   await slack.close()
//
// Methods: `auth.test`, `chat.postMessage` and `conversations.replies` (the messages this fake
// posted in the thread `ts` of `channel`, or that are its parent, newer than `oldest`); any other
// answers `{ ok: false, error: 'unknown_method' }`.
// Bodies are form-encoded (what the client sends) or JSON; the token is read from
// `Authorization: Bearer …` or a `token` field, as Slack does. No token is `not_authed`, a token
// other than `fake.token` is `invalid_auth`. A chat.postMessage without `channel` is
// `channel_not_found`, without `text` (or blocks) `no_text`; otherwise it answers with a fresh
// `ts` and the message as the bot wrote it.
import { Fastify, fastifyFormbody, type FastifyInstance } from '@kora/runtime/http';
import type { AddressInfo } from 'node:net';

export interface FakeSlackIdentity {
  readonly teamId: string;
  readonly team: string;
  readonly userId: string;
  readonly user: string;
  readonly botId: string;
}

export const FAKE_SLACK_IDENTITY: FakeSlackIdentity = { teamId: 'T0KORA', team: 'Kora Test', userId: 'U0KORABOT', user: 'kora', botId: 'B0KORABOT' };

export type FakeSlackFailure = { readonly status: 500 | 502 | 503 } | { readonly status: 429; readonly retryAfter: number } | { readonly error: string };

export interface FakeSlackCall {
  readonly method: string;
  /** The token the call carried, or null. */
  readonly token: string | null;
  readonly contentType: string | null;
  readonly args: Readonly<Record<string, unknown>>;
  readonly status: number;
  readonly response: Readonly<Record<string, unknown>>;
}

export interface FakeSlack {
  /** The base URL, with the trailing slash `@slack/web-api` appends method names to. */
  readonly url: string;
  /** The bot token the server accepts. */
  readonly token: string;
  readonly identity: FakeSlackIdentity;
  readonly calls: readonly FakeSlackCall[];
  /** The args of every chat.postMessage that was answered ok. */
  posts(): Readonly<Record<string, unknown>>[];
  /** Answer the next `times` calls of `method` with `failure` instead. */
  fail(method: string, failure: FakeSlackFailure, times?: number): void;
  close(): Promise<void>;
}

export interface FakeSlackOptions {
  token?: string;
  identity?: FakeSlackIdentity;
  /** Seconds of the first `ts` handed out (each post adds a microsecond); default 2026-01-01. */
  epochS?: number;
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const token = options.token ?? 'xoxb-fake-slack-token';
  const identity = options.identity ?? FAKE_SLACK_IDENTITY;
  const calls: FakeSlackCall[] = [];
  const failures = new Map<string, FakeSlackFailure[]>();
  let seq = 0;
  const epochS = options.epochS ?? 1_767_225_600;

  const app: FastifyInstance = Fastify({ logger: false });
  await app.register(fastifyFormbody);
  app.post<{ Params: { method: string } }>('/api/:method', async (request, reply) => {
    const method = request.params.method;
    const args = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? null;
    const callToken = bearer ?? (typeof args.token === 'string' ? args.token : null);
    const { token: _dropped, ...shown } = args;
    const answer = (status: number, response: Record<string, unknown>, headers: Record<string, string> = {}) => {
      calls.push({ method, token: callToken, contentType: request.headers['content-type'] ?? null, args: shown, status, response });
      return reply.code(status).headers(headers).send(response);
    };

    const failure = failures.get(method)?.shift();
    if (failure) {
      if ('error' in failure) return answer(200, { ok: false, error: failure.error });
      if (failure.status === 429) return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfter) });
      return answer(failure.status, { ok: false, error: 'fatal_error' });
    }
    if (callToken === null) return answer(200, { ok: false, error: 'not_authed' });
    if (callToken !== token) return answer(200, { ok: false, error: 'invalid_auth' });

    switch (method) {
      case 'auth.test':
        return answer(200, {
          ok: true,
          url: 'https://kora-test.slack.com/',
          team: identity.team,
          user: identity.user,
          team_id: identity.teamId,
          user_id: identity.userId,
          bot_id: identity.botId,
          is_enterprise_install: false,
        });
      case 'chat.postMessage': {
        const channel = typeof args.channel === 'string' && args.channel !== '' ? args.channel : null;
        if (!channel) return answer(200, { ok: false, error: 'channel_not_found' });
        const text = typeof args.text === 'string' ? args.text : '';
        if (text === '' && args.blocks === undefined) return answer(200, { ok: false, error: 'no_text' });
        seq += 1;
        const ts = `${epochS}.${String(seq).padStart(6, '0')}`;
        const threadTs = typeof args.thread_ts === 'string' && args.thread_ts !== '' ? args.thread_ts : undefined;
        return answer(200, {
          ok: true,
          channel,
          ts,
          message: { type: 'message', text, user: identity.userId, bot_id: identity.botId, ts, ...(threadTs ? { thread_ts: threadTs } : {}) },
        });
      }
      case 'conversations.replies': {
        const channel = typeof args.channel === 'string' ? args.channel : '';
        const ts = typeof args.ts === 'string' ? args.ts : '';
        if (channel === '' || ts === '') return answer(200, { ok: false, error: 'invalid_arguments' });
        const oldest = typeof args.oldest === 'string' ? Number(args.oldest) : -Infinity;
        const messages = calls
          .filter((c) => c.method === 'chat.postMessage' && c.status === 200 && c.response.ok === true && c.response.channel === channel)
          .map((c) => c.response.message as { ts: string; thread_ts?: string })
          .filter((m) => (m.thread_ts === ts || m.ts === ts) && Number(m.ts) > oldest);
        return answer(200, { ok: true, messages, has_more: false });
      }
      default:
        return answer(200, { ok: false, error: 'unknown_method' });
    }
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api/`,
    token,
    identity,
    calls,
    posts: () => calls.filter((c) => c.method === 'chat.postMessage' && c.status === 200 && c.response.ok === true).map((c) => c.args),
    fail(method, failure, times = 1) {
      const queue = failures.get(method) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(failure);
      failures.set(method, queue);
    },
    close: () => app.close(),
  };
}
