// The one way a proposal is listed and decided, whatever the surface (admin API, UI form, CLI
// through the admin API, MCP, a loop's auto-apply): expiry first, then the store, then the audit
// row with who decided, then the `proposals` service refreshed so the decision applies at once.
import type { Clock, Logger } from '@kora/runtime';
import type { ApprovedCache } from './approved.js';
import type { Proposal, ProposalStatus } from './proposal.js';
import type { ListQuery, ProposalStore } from './store.js';

export const DECIDED_SEAM = 'promote.proposal_decided';
export const EXPIRED_SEAM = 'promote.proposal_expired';

export interface DeskDeps {
  readonly store: ProposalStore;
  readonly cache: ApprovedCache;
  readonly clock: Clock;
  readonly log: Logger;
  audit(seam: string, details: Record<string, unknown>): Promise<void>;
}

export class ProposalDesk {
  readonly #d: DeskDeps;

  constructor(deps: DeskDeps) {
    this.#d = deps;
  }

  get store(): ProposalStore {
    return this.#d.store;
  }

  get clock(): Clock {
    return this.#d.clock;
  }

  /** Pending proposals past their 14 days become expired (audited), before anything reads them. */
  async expire(): Promise<Proposal[]> {
    const expired = await this.#d.store.expire(this.#d.clock.now());
    for (const p of expired) await this.#d.audit(EXPIRED_SEAM, { id: p.id, loop: p.loop, createdAt: p.createdAt });
    if (expired.length > 0) await this.#d.cache.refresh();
    return expired;
  }

  /** A cycle wrote proposals: the service's pending count (and anything auto-approved) is read again. */
  async changed(): Promise<void> {
    await this.#d.cache.refresh();
  }

  async list(query: ListQuery = {}): Promise<{ proposals: Proposal[]; counts: Record<ProposalStatus, number> }> {
    await this.expire();
    const [proposals, counts] = await Promise.all([this.#d.store.list(query), this.#d.store.counts()]);
    return { proposals, counts };
  }

  async get(id: string): Promise<Proposal | null> {
    await this.expire();
    return this.#d.store.get(id);
  }

  /** Approve or reject, audited with `actor` once done; rejects with the store's coded refusal. */
  async decide(id: string, status: 'approved' | 'rejected', actor: string, reason?: string): Promise<Proposal> {
    await this.expire();
    const decided = await this.#d.store.decide(id, { status, actor, reason }, this.#d.clock.now());
    await this.#d.audit(DECIDED_SEAM, { id, loop: decided.loop, status, by: actor, ...(decided.reason ? { reason: decided.reason.slice(0, 200) } : {}) });
    await this.#d.cache.refresh();
    this.#d.log.info({ id, loop: decided.loop, status, by: actor }, `promote: proposal ${id} (${decided.loop}) ${status} by ${actor}`);
    return decided;
  }
}
