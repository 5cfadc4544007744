// The status roll-up (DESIGN §5): one GatewayStatus from what each part reports of itself.
import type { DaemonStatus } from '../daemons/supervisor.js';
import type { KoraError } from '../errors.js';
import type { ResolvedIdentity } from '../identity/types.js';
import type { PluginRecord } from '../plugins/loader.js';
import type { TaskStatus } from '../schedule/scheduler.js';
import { ownProcessStartToken } from './process-identity.js';
import { STATUS_SCHEMA, type ExitRecord, type GatewayState, type GatewayStatus } from './status.js';

export interface StatusParts {
  now: number;
  startedAt: number;
  sessionId: string;
  state: GatewayState;
  problems: readonly string[];
  deployEnv: string;
  shutdownReason: string | null;
  exitCode: number | null;
  home: string;
  configFile: string | undefined;
  store: { kind: string; location: string } | null;
  identity: ResolvedIdentity | undefined;
  identityError: KoraError | undefined;
  plugins: readonly PluginRecord[];
  daemons: readonly DaemonStatus[];
  /** Daemons that were planned out (disabled, --only/--skip, failed plugin), with the reason. */
  skipped: ReadonlyMap<string, { plugin: string; reason: string }>;
  tasks: readonly TaskStatus[];
  heartbeat: { at: string | null; everyMs: number } | null;
  inbox: GatewayStatus['inbox'];
  exit: ExitRecord | null;
  /** Null when the gateway is not in a fleet (inspection, or not booted that far). */
  fleet?: GatewayStatus['fleet'];
}

export function rollUpStatus(p: StatusParts): GatewayStatus {
  const daemons: GatewayStatus['daemons'] = p.daemons.map((d) => ({ ...d, skipped: null, tasks: p.tasks.filter((t) => t.daemon === d.name) }));
  for (const [name, { plugin, reason }] of p.skipped) {
    daemons.push({
      name,
      plugin,
      state: 'stopped',
      fatal: false,
      scope: 'everywhere',
      error: null,
      errorCode: null,
      startedAt: null,
      startDurationMs: null,
      endpoints: [],
      note: null,
      stoppedAt: null,
      stopDurationMs: null,
      skipped: reason,
      tasks: [],
    });
  }
  const id = p.identity;
  return {
    schema: STATUS_SCHEMA,
    pid: process.pid,
    processStartedAt: ownProcessStartToken(),
    heartbeatAt: p.heartbeat?.at ?? null,
    heartbeatEveryMs: p.heartbeat?.everyMs ?? null,
    exit: p.exit,
    sessionId: p.sessionId,
    state: p.state,
    problems: [...p.problems],
    deployEnv: p.deployEnv,
    startedAt: new Date(p.startedAt).toISOString(),
    updatedAt: new Date(p.now).toISOString(),
    uptimeMs: p.now - p.startedAt,
    shutdownReason: p.shutdownReason,
    exitCode: p.exitCode,
    home: p.home,
    config: p.configFile ?? null,
    store: p.store,
    identity: id
      ? { agentName: id.agentName, source: id.source, systemPromptChars: id.spec.systemPrompt.length, soulChars: id.spec.soul.length }
      : p.identityError
        ? { error: p.identityError.message, code: p.identityError.code }
        : null,
    // What this gateway was asked to load, and invalid manifests found (flagged `enabled` or not).
    plugins: p.plugins.filter((r) => r.enabled || r.state === 'invalid').map((r) => ({ id: r.id, version: r.version, source: r.source, state: r.state, enabled: r.enabled, error: r.error })),
    daemons,
    inbox: [...p.inbox],
    fleet: p.fleet ?? null,
  };
}
