// The fleet as `kora fleet`, `GET /api/fleet` and the admin UI show it: every gateway with a row
// in the store, whether it is alive (a heartbeat within the lease), stopped or gone, and who
// leads. Read from the store, so any machine that can reach it sees the whole fleet.
import type { Store } from '../store/types.js';

export interface FleetGatewayView {
  sessionId: string;
  host: string;
  pid: number;
  version: string;
  /** The gateway state it last reported. */
  state: string;
  /** `alive`: heartbeat within the lease; `stopped`: a clean stop; `gone`: silent longer than the lease. */
  presence: 'alive' | 'stopped' | 'gone';
  leader: boolean;
  /** ISO times. */
  startedAt: string;
  heartbeatAt: string;
  /** How long ago its last heartbeat was written (ms). */
  heartbeatAgeMs: number;
  stoppedAt: string | null;
}

export interface FleetView {
  /** The store the fleet shares (password redacted). */
  store: { kind: string; location: string };
  leaseMs: number;
  /** The gateway holding an unexpired lease, or null (no leader right now: one takes over within the lease). */
  leader: { sessionId: string; host: string | null; since: string; until: string } | null;
  /** Alive first, then the most recently started. */
  gateways: FleetGatewayView[];
}

export async function readFleet(store: Store, options: { now: number; leaseMs: number }): Promise<FleetView> {
  const { now, leaseMs } = options;
  const [members, lease] = await Promise.all([store.fleet.members(), store.fleet.leadership()]);
  const leading = lease !== null && lease.until >= now ? lease : null;
  const rank = { alive: 0, stopped: 1, gone: 2 } as const;
  const gateways = members
    .map((m): FleetGatewayView => {
      const presence = m.stoppedAt !== null ? 'stopped' : now - m.heartbeatAt <= leaseMs ? 'alive' : 'gone';
      return {
        sessionId: m.sessionId,
        host: m.host,
        pid: m.pid,
        version: m.version,
        state: presence === 'gone' ? 'gone' : m.state,
        presence,
        leader: leading?.owner === m.sessionId,
        startedAt: new Date(m.startedAt).toISOString(),
        heartbeatAt: new Date(m.heartbeatAt).toISOString(),
        heartbeatAgeMs: Math.max(0, now - m.heartbeatAt),
        stoppedAt: m.stoppedAt === null ? null : new Date(m.stoppedAt).toISOString(),
      };
    })
    .sort((a, b) => rank[a.presence] - rank[b.presence] || b.startedAt.localeCompare(a.startedAt));
  return {
    store: { kind: store.kind, location: store.location },
    leaseMs,
    leader: leading
      ? { sessionId: leading.owner, host: members.find((m) => m.sessionId === leading.owner)?.host ?? null, since: new Date(leading.since).toISOString(), until: new Date(leading.until).toISOString() }
      : null,
    gateways,
  };
}
