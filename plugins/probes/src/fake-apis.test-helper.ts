// Local HTTP servers that answer like the probed APIs (Vercel, Sentry, Doppler, Supabase, Fly):
// the documented paths, Bearer authentication (a wrong token is 401 with the API's error shape),
// and JSON bodies of the documented form. A test can make a path answer 500, 401 or hang, and
// reads every request it got. 127.0.0.1 and a free port only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour = 'ok' | 401 | 403 | 429 | 500 | 503 | 'hang';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | null;
}

export interface FakeApi {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** How the server answers from now on (default `ok`). */
  behave(behaviour: Behaviour): void;
  /** Requests being held open (hanging) right now. */
  hanging(): number;
  close(): Promise<void>;
}

/** Bodies as the APIs document them, trimmed to a few fields. */
const BODIES: Record<string, unknown> = {
  '/v2/user': { user: { id: 'usr_kora', email: 'ops@example.com', username: 'kora' } },
  '/api/0/organizations/': [{ id: '1', slug: 'kora', name: 'Kora' }],
  '/v3/me': { workplace: { name: 'Kora', slug: 'kora' }, type: 'service_token', slug: 'st_kora' },
  '/v1/projects': [{ id: 'abcdefghijklmnop', name: 'kora', region: 'eu-west-1', status: 'ACTIVE_HEALTHY' }],
  '/v1/apps': { total_apps: 1, apps: [{ id: 'app1', name: 'kora', machine_count: 1 }] },
};

const ERRORS: Record<number, unknown> = {
  401: { error: { code: 'forbidden', message: 'Not authorized' } },
  403: { error: { code: 'forbidden', message: 'Forbidden' } },
  429: { error: { code: 'rate_limited', message: 'Too many requests' } },
  500: { error: { code: 'internal_server_error', message: 'An unexpected error occurred' } },
  503: { error: { code: 'unavailable', message: 'Service unavailable' } },
};

export async function startFakeApi(options: { token: string; body?: (path: string) => { status: number; body: string } | null }): Promise<FakeApi> {
  const requests: SeenRequest[] = [];
  let behaviour: Behaviour = 'ok';
  const held = new Set<ServerResponse>();
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, authorization: req.headers.authorization ?? null });
    req.resume();
    if (behaviour === 'hang') {
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    if (behaviour !== 'ok') return send(res, behaviour, ERRORS[behaviour]);
    const custom = options.body?.(url.pathname);
    if (custom) {
      res.writeHead(custom.status, { 'content-type': 'text/plain' });
      return res.end(custom.body);
    }
    if (req.headers.authorization !== `Bearer ${options.token}`) return send(res, 401, ERRORS[401]);
    const body = BODIES[url.pathname];
    if (body === undefined) return send(res, 404, { error: { code: 'not_found', message: 'Not found' } });
    if (url.pathname === '/v1/apps' && !url.searchParams.get('org_slug')) return send(res, 400, { error: 'org_slug is required' });
    send(res, 200, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    behave: (b) => {
      behaviour = b;
    },
    hanging: () => held.size,
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Poll (real time, briefly) until `check` holds: for a request to reach a local server. */
export async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
