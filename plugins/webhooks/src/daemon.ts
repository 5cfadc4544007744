// The `webhooks` daemon: runs the public receiver with every `webhooks.source` contribution
// mounted. Its start resolves once the port is bound; a bind failure names the address.
import type { FastifyInstance } from '@kora/runtime/http';
import { DaemonError, formatAddress, listenOn, type DaemonSpec, type InboxMessage } from '@kora/runtime';
import { LISTEN, type ListenOptions } from './config.js';
import { buildReceiver, SourceMountError } from './server.js';
import { SOURCE_POINT } from './source.js';

export const DAEMON_NAME = 'webhooks';

export interface WebhooksDaemonDeps {
  readonly options: ListenOptions;
  enqueue(message: InboxMessage): Promise<{ id: number; duplicate: boolean }>;
  audit(seam: string, details: Record<string, unknown>): Promise<void>;
}

export function webhooksDaemon(deps: WebhooksDaemonDeps): DaemonSpec {
  let app: FastifyInstance | undefined;
  const { host, port } = deps.options;
    return {
    name: DAEMON_NAME,
    fatalOnStartupFailure: true,
    async start(context) {
      const sources = context.contributions.list(SOURCE_POINT).map((c) => c.value);
      let server: FastifyInstance;
      try {
        server = await buildReceiver({ sources, options: deps.options, clock: context.clock, log: context.log, enqueue: deps.enqueue, audit: deps.audit });
      } catch (err) {
        if (err instanceof SourceMountError) throw new DaemonError('KORA_ERR_DAEMON_START', `Daemon "${DAEMON_NAME}" cannot mount its sources: ${err.message}`, { daemon: DAEMON_NAME });
        throw err;
      }
      const bound = await listenOn(DAEMON_NAME, server, { host, port }, LISTEN);
      app = server;
      const address = formatAddress(bound);
      context.log.info({ address, routes: sources.map((s) => `POST /api/webhooks/${s.path}`) }, `webhook receiver listening on http://${address}`);
      context.publishEndpoint({ name: 'webhook receiver', url: `http://${address}/api/webhooks/`, note: sources.map((s) => s.path).join(', ') });
    },
    async stop() {
      await app?.close();
      app = undefined;
    },
  };
}
