// The proposals in the plugin's table: a cycle offers what it found (a new proposal, or fresher
// evidence on the pending one), a person approves or rejects, time expires what nobody decided.
// A finding a person rejected is not proposed again; one that expired may be.
import { randomBytes } from 'node:crypto';
import { KoraError, type PluginTables } from '@kora/runtime';
import type { Kysely } from 'kysely';
import { PROPOSALS_TABLE } from './migrations.js';
import { EXPIRE_AFTER_MS, type Candidate, type LoopName, type Proposal, type ProposalStatus } from './proposal.js';

export type Offered = 'created' | 'updated' | 'in_effect' | 'rejected_before';

export interface Decision {
  readonly status: 'approved' | 'rejected';
  /** Who decides: `web:admin`, `cli`, `mcp:<caller id>`, `auto:promote_<loop>`. */
  readonly actor: string;
  readonly reason?: string | undefined;
}

export interface ListQuery {
  readonly status?: ProposalStatus | undefined;
  readonly loop?: LoopName | undefined;
  /** Default 100, at most 500. */
  readonly limit?: number | undefined;
}

type Row = Record<string, unknown>;

function fromRow(row: Row): Proposal {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(row.id),
    loop: String(row.loop) as LoopName,
    key: String(row.key),
    status: String(row.status) as ProposalStatus,
    title: String(row.title),
    payload: JSON.parse(String(row.payload)) as Proposal['payload'],
    evidence: JSON.parse(String(row.evidence)) as Proposal['evidence'],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    expiresAt: Number(row.expires_at),
    decidedAt: num(row.decided_at),
    decidedBy: row.decided_by === null || row.decided_by === undefined ? null : String(row.decided_by),
    reason: row.reason === null || row.reason === undefined ? null : String(row.reason),
  };
}

export class ProposalStore {
  readonly #db: Kysely<PluginTables>;

  constructor(db: Kysely<PluginTables>) {
    this.#db = db;
  }

  /** What becomes of a finding: a new proposal, fresher evidence on the pending one, or nothing (in effect, or rejected before). */
  async offer(loop: LoopName, candidate: Candidate, now: number, keep?: (previous: Proposal['payload'], next: Proposal['payload']) => Proposal['payload']): Promise<{ outcome: Offered; proposal: Proposal }> {
    const rows = await this.#db.selectFrom(PROPOSALS_TABLE).selectAll().where('loop', '=', loop).where('key', '=', candidate.key).where('status', '!=', 'expired').execute();
    const existing = rows.map(fromRow);
    const rejected = existing.find((p) => p.status === 'rejected');
    if (rejected) return { outcome: 'rejected_before', proposal: rejected };
    const approved = existing.find((p) => p.status === 'approved');
    if (approved) return { outcome: 'in_effect', proposal: approved };
    const pending = existing.find((p) => p.status === 'pending');
    if (pending) {
      const payload = keep ? keep(pending.payload, candidate.payload) : candidate.payload;
      await this.#db
        .updateTable(PROPOSALS_TABLE)
        .set({ title: candidate.title.slice(0, 512), payload: JSON.stringify(payload), evidence: JSON.stringify(candidate.evidence), updated_at: now })
        .where('id', '=', pending.id)
        .where('status', '=', 'pending')
        .execute();
      return { outcome: 'updated', proposal: { ...pending, title: candidate.title, payload, evidence: candidate.evidence, updatedAt: now } };
    }
    const proposal: Proposal = {
      id: randomBytes(5).toString('hex'),
      loop,
      key: candidate.key,
      status: 'pending',
      title: candidate.title,
      payload: candidate.payload,
      evidence: candidate.evidence,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + EXPIRE_AFTER_MS,
      decidedAt: null,
      decidedBy: null,
      reason: null,
    };
    await this.#db
      .insertInto(PROPOSALS_TABLE)
      .values({
        id: proposal.id,
        loop,
        key: candidate.key.slice(0, 512),
        status: 'pending',
        title: candidate.title.slice(0, 512),
        payload: JSON.stringify(candidate.payload),
        evidence: JSON.stringify(candidate.evidence),
        created_at: now,
        updated_at: now,
        expires_at: proposal.expiresAt,
        decided_at: null,
        decided_by: null,
        reason: null,
      })
      .execute();
    return { outcome: 'created', proposal };
  }

  /** Replace a pending proposal's payload (a fix envelope's drafted action); false when it is not pending any more. */
  async setPayload(id: string, payload: Proposal['payload'], now: number): Promise<boolean> {
    const result = await this.#db.updateTable(PROPOSALS_TABLE).set({ payload: JSON.stringify(payload), updated_at: now }).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async get(id: string): Promise<Proposal | null> {
    const row = await this.#db.selectFrom(PROPOSALS_TABLE).selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** Newest first. */
  async list(query: ListQuery = {}): Promise<Proposal[]> {
    let q = this.#db.selectFrom(PROPOSALS_TABLE).selectAll();
    if (query.status) q = q.where('status', '=', query.status);
    if (query.loop) q = q.where('loop', '=', query.loop);
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 500);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
    return rows.map(fromRow);
  }

  async counts(): Promise<Record<ProposalStatus, number>> {
    const rows = await this.#db.selectFrom(PROPOSALS_TABLE).select(['status']).select((eb) => eb.fn.countAll().as('n')).groupBy('status').execute();
    const out: Record<ProposalStatus, number> = { pending: 0, approved: 0, rejected: 0, expired: 0 };
    for (const row of rows) if (String(row.status) in out) out[String(row.status) as ProposalStatus] = Number(row.n);
    return out;
  }

  /** Every approved proposal, for the `proposals` service. */
  async approved(): Promise<Proposal[]> {
    const rows = await this.#db.selectFrom(PROPOSALS_TABLE).selectAll().where('status', '=', 'approved').orderBy('decided_at').execute();
    return rows.map(fromRow);
  }

  /** Pending proposals whose time is up become `expired`; returns them. */
  async expire(now: number): Promise<Proposal[]> {
    const due = (await this.#db.selectFrom(PROPOSALS_TABLE).selectAll().where('status', '=', 'pending').where('expires_at', '<=', now).execute()).map(fromRow);
    const expired: Proposal[] = [];
    for (const p of due) {
      const result = await this.#db
        .updateTable(PROPOSALS_TABLE)
        .set({ status: 'expired', decided_at: now, decided_by: 'expiry', updated_at: now })
        .where('id', '=', p.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) expired.push({ ...p, status: 'expired', decidedAt: now, decidedBy: 'expiry', updatedAt: now });
    }
    return expired;
  }

  /**
   * Approve or reject a pending proposal. Refused with KORA_ERR_PROPOSAL_UNKNOWN for an id that
   * is not one, KORA_ERR_PROPOSAL_NOT_PENDING for one decided already or expired (a pending one
   * past its time is expired here first).
   */
  async decide(id: string, decision: Decision, now: number): Promise<Proposal> {
    const proposal = await this.get(id);
    if (!proposal) throw new KoraError('KORA_ERR_PROPOSAL_UNKNOWN', `There is no proposal "${id}": \`kora proposals list\` shows their ids`, { id });
    if (proposal.status === 'pending' && proposal.expiresAt <= now) await this.expire(now);
    const current = (await this.get(id)) ?? proposal;
    const reason = decision.reason?.trim() ? decision.reason.trim().slice(0, 512) : null;
    if (current.status === 'pending') {
      const result = await this.#db
        .updateTable(PROPOSALS_TABLE)
        .set({ status: decision.status, decided_at: now, decided_by: decision.actor.slice(0, 160), reason, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) return { ...current, status: decision.status, decidedAt: now, decidedBy: decision.actor, reason, updatedAt: now };
    }
    const latest = (await this.get(id)) ?? current;
    const by = latest.decidedBy ? ` by ${latest.decidedBy}` : '';
    throw new KoraError('KORA_ERR_PROPOSAL_NOT_PENDING', `Proposal "${id}" is ${latest.status}${by}, not pending: only a pending proposal can be approved or rejected`, { id, status: latest.status });
  }
}
