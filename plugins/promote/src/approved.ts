// The `proposals` service (ApprovedProposals, declared by the runtime): what a person approved,
// read synchronously by the plugins that apply it (the Slack DM handler, the cost ladder, the
// snapshot, this plugin's tool-list hook) on every use. It answers from a copy of the approved
// proposals in memory, refreshed after every decision made through this gateway and, when it is
// older than `REFRESH_AFTER_MS`, in the background on the next read (another gateway of a fleet
// may have decided). A loop whose kill switch is on (in the config, or at runtime: switches.ts,
// read at each refresh) applies nothing.
import type { ApprovedProposals, Clock, Logger } from '@kora/runtime';
import { textDigest } from '@kora/plugin-kora';
import { loopOn, type PromoteSettings } from './config.js';
import type { PayloadOf, Proposal } from './proposal.js';
import type { ProposalStore } from './store.js';
import { runtimeOffOf, type RuntimeOff, type RuntimeSwitches } from './switches.js';

export const REFRESH_AFTER_MS = 30_000;

type Approved<L extends keyof PayloadOf> = { readonly id: string; readonly payload: PayloadOf[L] };

export class ApprovedCache implements ApprovedProposals {
  readonly #store: ProposalStore;
  readonly #settings: PromoteSettings;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #switches: RuntimeSwitches;
  #off: RuntimeOff = {};
  #approved: readonly Proposal[] = [];
  #pending = 0;
  #loadedAt = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<void> | null = null;

  constructor(store: ProposalStore, settings: PromoteSettings, clock: Clock, log: Logger, switches: RuntimeSwitches) {
    this.#store = store;
    this.#switches = switches;
    this.#settings = settings;
    this.#clock = clock;
    this.#log = log;
  }

  /** Read the approved proposals and the pending count again. */
  async refresh(): Promise<void> {
    const [approved, counts, off] = await Promise.all([this.#store.approved(), this.#store.counts(), this.#switches.read()]);
    this.#approved = approved;
    this.#off = off;
    this.#pending = counts.pending;
    this.#loadedAt = this.#clock.now();
  }

  #fresh(): void {
    if (this.#refreshing || this.#clock.now() - this.#loadedAt < REFRESH_AFTER_MS) return;
    this.#refreshing = this.refresh()
      .catch((err: unknown) => this.#log.warn({ err }, 'promote: could not re-read the approved proposals; applying the ones read before'))
      .finally(() => {
        this.#refreshing = null;
      });
  }

  #of<L extends keyof PayloadOf>(loop: L): Approved<L>[] {
    this.#fresh();
    if (!loopOn(this.#settings, loop) || runtimeOffOf(this.#off, loop)) return [];
    return this.#approved.filter((p) => p.loop === loop).map((p) => ({ id: p.id, payload: p.payload as PayloadOf[L] }));
  }

  phrasebook(question: string): { readonly answer: string; readonly proposalId: string } | null {
    const entries = this.#of('phrasebook');
    if (entries.length === 0) return null;
    const digest = textDigest(question);
    const hit = entries.find((e) => e.payload.questionDigest === digest);
    return hit ? { answer: hit.payload.answer, proposalId: hit.id } : null;
  }

  routerPatterns(): { readonly add: readonly string[]; readonly remove: readonly string[] } {
    const entries = this.#of('router_tuning');
    return {
      add: entries.filter((e) => e.payload.action === 'add').map((e) => e.payload.pattern),
      remove: entries.filter((e) => e.payload.action === 'remove').map((e) => e.payload.pattern),
    };
  }

  snapshotTools(): readonly string[] {
    return [...new Set(this.#of('snapshot_expand').map((e) => e.payload.tool))];
  }

  trimmedTools(route: string): readonly string[] {
    return this.#of('tool_trimming')
      .filter((e) => e.payload.route === route)
      .map((e) => e.payload.tool);
  }

  pendingCount(): number {
    this.#fresh();
    return this.#pending;
  }
}
