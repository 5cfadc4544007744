// The tasks as every surface shows them (admin API and UI, MCP, the engine's tool bridge): the
// status's tasks, the state of the daemon that runs each, and each one's most recent ledger rows.
// One reading, so the surfaces show the same data.
import type { GatewayView } from '../plugins/types.js';
import type { RunRecord } from '../store/types.js';
import type { GatewayStatus } from './status.js';

export type TaskView = GatewayStatus['daemons'][number]['tasks'][number] & {
  /** The state of the daemon that schedules it. */
  readonly daemonState: GatewayStatus['daemons'][number]['state'];
  /** Newest first. */
  readonly recentRuns: RunRecord[];
};

/** Every scheduled task with its `runs` most recent ledger rows (newest first). */
export function tasksWithRecentRuns(gateway: Pick<GatewayView, 'status' | 'recentRuns'>, runs: number): Promise<TaskView[]> {
  const daemons = gateway.status().daemons;
  return Promise.all(daemons.flatMap((d) => d.tasks.map(async (t) => ({ ...t, daemonState: d.state, recentRuns: await gateway.recentRuns({ task: t.name, limit: runs }) }))));
}
