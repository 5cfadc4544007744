// The `web` daemon: the admin server with every `http.admin` route and `web.page` mounted.
// Its start resolves once the port is bound; no admin token outside dev, a bad contribution or
// a taken port fails it (the daemon is fatal by default: an agent nobody can administer does
// not pretend to run).
import type { FastifyInstance } from '@kora/runtime/http';
import { DaemonError, formatAddress, listenOn, tokenMatcher, type DaemonSpec, type GatewayOperations, type GatewayView } from '@kora/runtime';
import { resolveAdminToken, TOKEN_ENV } from './admin-token.js';
import { LISTEN, type ListenOptions } from './config.js';
import { RouteMountError, ROUTE_POINT } from './contributed-routes.js';
import { PAGE_POINT } from './page.js';
import { buildAdminServer } from './server.js';
import { SessionStore } from './sessions.js';

export const DAEMON_NAME = 'web';

export interface WebDaemonDeps {
  readonly options: ListenOptions;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly deployEnv: string;
  readonly home: string;
  readonly gateway: GatewayView;
  readonly operations: GatewayOperations;
}

export function webDaemon(deps: WebDaemonDeps): DaemonSpec {
  let app: FastifyInstance | undefined;
  let sessions: SessionStore | undefined;
  const { host, port } = deps.options;
  return {
    name: DAEMON_NAME,
    fatalOnStartupFailure: true,
    async start(context) {
      const token = resolveAdminToken({ env: deps.env, deployEnv: deps.deployEnv, home: deps.home, daemon: DAEMON_NAME });
      sessions = new SessionStore(context.clock, deps.options.sessionIdleMs);
      let server: FastifyInstance;
      try {
        server = await buildAdminServer({
          gateway: deps.gateway,
          operations: deps.operations,
          clock: context.clock,
          log: context.log,
          matches: tokenMatcher(token.value),
          sessions,
          routes: context.contributions.list(ROUTE_POINT),
          pages: context.contributions.list(PAGE_POINT),
        });
      } catch (err) {
        if (err instanceof RouteMountError) throw new DaemonError('KORA_ERR_DAEMON_START', `Daemon "${DAEMON_NAME}" cannot mount a contribution: ${err.message}`, { daemon: DAEMON_NAME });
        throw err;
      }
      const bound = await listenOn(DAEMON_NAME, server, { host, port }, LISTEN);
      app = server;
      const address = formatAddress(bound);
      const base = `http://${address}`;
      context.publishEndpoint({
        name: 'admin UI',
        url: `${base}/login`,
        note: token.source === 'file' ? `token in ${token.file}` : `token: $${TOKEN_ENV}`,
        // Only a generated dev token rides in a link, in the fragment (never sent to a server),
        // and the runtime prints it in the terminal summary only.
        ...(token.source === 'file' ? { login: `${base}/login#token=${token.value}` } : {}),
      });
      context.log.info({ address, tokenSource: token.source, ...(token.generated ? { tokenFile: token.file } : {}) }, `admin UI and API listening on ${base}`);
    },
    async stop() {
      await app?.close();
      app = undefined;
      sessions?.clear();
    },
  };
}
