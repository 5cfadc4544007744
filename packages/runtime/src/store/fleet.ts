// The fleet's rows (DESIGN §6a): each gateway's registration and heartbeat, and the one
// leadership lease. The lease is taken by a single conditional upsert — insert it, or overwrite
// it only where it is free, expired or the caller's own — so two gateways can never both hold
// it, on SQLite's single writer as on PostgreSQL's row lock taken by ON CONFLICT DO UPDATE.
import type { Kysely, Selectable } from 'kysely';
import type { StoreGate } from './gate.js';
import type { FleetLeaderTable, FleetTable, StoreSchema } from './schema.js';
import type { Fleet, FleetLeadership, FleetMember } from './types.js';

const LEASE_ROW = 'leader';

export class SqlFleet implements Fleet {
  readonly #db: Kysely<StoreSchema>;
  readonly #gate: StoreGate;

  constructor(db: Kysely<StoreSchema>, gate: StoreGate) {
    this.#db = db;
    this.#gate = gate;
  }

  register(member: Omit<FleetMember, 'stoppedAt'>): Promise<void> {
    return this.#gate.run('fleet.register', async () => {
      const row = {
        session_id: member.sessionId,
        host: member.host,
        pid: member.pid,
        version: member.version,
        started_at: member.startedAt,
        heartbeat_at: member.heartbeatAt,
        state: member.state,
        stopped_at: null,
      };
      await this.#db
        .insertInto('kora_fleet')
        .values(row)
        .onConflict((oc) => oc.column('session_id').doUpdateSet({ heartbeat_at: row.heartbeat_at, state: row.state, stopped_at: null }))
        .execute();
    });
  }

  heartbeat(sessionId: string, at: number, state: string): Promise<boolean> {
    return this.#gate.run('fleet.heartbeat', async () => {
      const { numUpdatedRows } = await this.#db.updateTable('kora_fleet').set({ heartbeat_at: at, state }).where('session_id', '=', sessionId).executeTakeFirst();
      return numUpdatedRows > 0n;
    });
  }

  leave(sessionId: string, at: number): Promise<void> {
    return this.#gate.run('fleet.leave', async () => {
      await this.#db.updateTable('kora_fleet').set({ heartbeat_at: at, state: 'stopped', stopped_at: at }).where('session_id', '=', sessionId).execute();
    });
  }

  members(): Promise<FleetMember[]> {
    return this.#gate.run('fleet.members', async () => {
      const rows = await this.#db.selectFrom('kora_fleet').selectAll().orderBy('started_at', 'desc').orderBy('session_id').execute();
      return rows.map(toMember);
    });
  }

  lead(owner: string, now: number, leaseMs: number, options: { force?: boolean } = {}): Promise<{ leading: boolean; leadership: FleetLeadership | null }> {
    return this.#gate.run('fleet.lead', async () => {
      const until = now + leaseMs;
      const taken = await this.#db
        .insertInto('kora_fleet_leader')
        .values({ name: LEASE_ROW, owner, since: now, lease_until: until })
        .onConflict((oc) => {
          const update = oc.column('name').doUpdateSet((eb) => ({
            owner: eb.ref('excluded.owner'),
            // A renewal keeps the time the lead was taken; a takeover starts it now.
            since: eb.case().when('kora_fleet_leader.owner', '=', owner).then(eb.ref('kora_fleet_leader.since')).else(eb.ref('excluded.since')).end(),
            lease_until: eb.ref('excluded.lease_until'),
          }));
          return options.force ? update : update.where((eb) => eb.or([eb('kora_fleet_leader.owner', '=', owner), eb('kora_fleet_leader.lease_until', '<', now)]));
        })
        .returningAll()
        .executeTakeFirst();
      if (taken) return { leading: taken.owner === owner, leadership: toLeadership(taken) };
      const current = await this.#db.selectFrom('kora_fleet_leader').selectAll().where('name', '=', LEASE_ROW).executeTakeFirst();
      return { leading: false, leadership: current ? toLeadership(current) : null };
    });
  }

  resign(owner: string): Promise<boolean> {
    return this.#gate.run('fleet.resign', async () => {
      const { numDeletedRows } = await this.#db.deleteFrom('kora_fleet_leader').where('name', '=', LEASE_ROW).where('owner', '=', owner).executeTakeFirst();
      return numDeletedRows > 0n;
    });
  }

  leadership(): Promise<FleetLeadership | null> {
    return this.#gate.run('fleet.leadership', async () => {
      const row = await this.#db.selectFrom('kora_fleet_leader').selectAll().where('name', '=', LEASE_ROW).executeTakeFirst();
      return row ? toLeadership(row) : null;
    });
  }

  prune(policy: { before: number }): Promise<number> {
    return this.#gate.run('fleet.prune', async () => {
      const { numDeletedRows } = await this.#db.deleteFrom('kora_fleet').where('heartbeat_at', '<', policy.before).executeTakeFirst();
      return Number(numDeletedRows);
    });
  }
}

function toMember(row: Selectable<FleetTable>): FleetMember {
  return {
    sessionId: row.session_id,
    host: row.host,
    pid: Number(row.pid),
    version: row.version,
    startedAt: Number(row.started_at),
    heartbeatAt: Number(row.heartbeat_at),
    state: row.state,
    stoppedAt: row.stopped_at === null ? null : Number(row.stopped_at),
  };
}

function toLeadership(row: Selectable<FleetLeaderTable>): FleetLeadership {
  return { owner: row.owner, since: Number(row.since), until: Number(row.lease_until) };
}
