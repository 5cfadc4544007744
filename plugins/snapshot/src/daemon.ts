// The `snapshot` daemon (non-fatal, DESIGN §8): serves the newest stored snapshot from its start
// (marked stale when old) as the `snapshot` service, and computes one at start and every 5 min.
import type { DaemonSpec, SnapshotView } from '@kora/runtime';
import { UNAVAILABLE } from './rollup.js';
import type { SnapshotKeeper, StoredSnapshotReader } from './snapshot.js';

export const DAEMON_NAME = 'snapshot';
export const COMPUTE_TASK = 'snapshot.compute';

export interface KeeperHolder {
  current: SnapshotKeeper | null;
  /** The newest stored snapshot, for when `current` is null here. */
  readonly stored: StoredSnapshotReader;
}

/** The view every surface shows: the running keeper's, else the newest stored one; `running` says which. */
export async function currentView(holder: KeeperHolder): Promise<{ running: boolean; view: SnapshotView | null }> {
  const keeper = holder.current;
  if (keeper) return { running: true, view: keeper.latest() };
  return { running: false, view: await holder.stored.latest() };
}

export function snapshotDaemon(make: () => SnapshotKeeper, holder: KeeperHolder): DaemonSpec {
  let note: ((text: string | null) => void) | undefined;
  return {
    name: DAEMON_NAME,
    fatalOnStartupFailure: false,
    // Leader (decision 0160): the roll-up reads the probes and alerts, whose daemons run on the
    // leader, and a slot runs once across a fleet anyway. Other gateways serve the stored one.
    scope: 'leader',
    async start(d) {
      note = (text) => d.setNote(text);
      const keeper = make();
      await keeper.load();
      holder.current = keeper;
      d.services.provide('snapshot', keeper);
    },
    stop() {
      holder.current = null;
    },
    tasks: [
      {
        name: COMPUTE_TASK,
        every: '5m',
        // At start too: the other daemons started before this one (load order), so there is something to see.
        runOnStart: true,
        async run({ signal }) {
          const view = await holder.current?.compute(signal);
          if (!view) return;
          // What the snapshot could not measure, where the operator looks.
          const missing = Object.entries(view.data).filter(([, v]) => v === UNAVAILABLE).map(([k]) => k);
          note?.(missing.length === 0 ? null : `not measured (no plugin provides them): ${missing.join(', ')}`);
        },
      },
    ],
  };
}
