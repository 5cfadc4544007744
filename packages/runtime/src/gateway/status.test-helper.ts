// A complete, valid GatewayStatus for tests of the status file, its writer and its readers.
import { STATUS_SCHEMA, type GatewayStatus } from './status.js';

export function sampleStatus(overrides: Partial<GatewayStatus> = {}): GatewayStatus {
  return {
    schema: STATUS_SCHEMA,
    pid: 4242,
    processStartedAt: 'boot-1:1000',
    sessionId: 'sess-1',
    state: 'running',
    problems: [],
    deployEnv: 'test',
    startedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:10.000Z',
    heartbeatAt: '2026-01-01T00:00:10.000Z',
    fleet: null,
    heartbeatEveryMs: 5000,
    uptimeMs: 10_000,
    shutdownReason: null,
    exitCode: null,
    exit: null,
    inbox: [],
    home: '/srv/kora',
    config: '/srv/kora/kora.yaml',
    store: { kind: 'sqlite', location: '/srv/kora/kora.db' },
    identity: { agentName: 'Kora', source: { kind: 'plugin', pluginId: 'kora' }, systemPromptChars: 10, soulChars: 5 },
    plugins: [{ id: 'kora', version: '1.0.0', source: 'bundled', state: 'loaded', enabled: true, error: null }],
    daemons: [
      {
        name: 'snapshot',
        plugin: 'kora',
        state: 'running',
        fatal: false,
        scope: 'everywhere',
        error: null,
        errorCode: null,
        startedAt: '2026-01-01T00:00:00.100Z',
        endpoints: [],
        note: null,
        startDurationMs: 3,
        stoppedAt: null,
        stopDurationMs: null,
        skipped: null,
        tasks: [],
      },
    ],
    ...overrides,
  };
}
