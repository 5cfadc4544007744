// What a learning loop writes and a person decides on: a proposal, its loop, its state and its
// evidence. One shape for the five loops; what a loop proposes is in `payload`, typed per loop.

export const LOOPS = ['phrasebook', 'snapshot_expand', 'router_tuning', 'tool_trimming', 'probe_fix_envelopes'] as const;
export type LoopName = (typeof LOOPS)[number];

/** The daemon of a loop (`promote_<loop>`) and its one daily task (`promote_<loop>_cycle`). */
export const daemonOf = (loop: LoopName): string => `promote_${loop}`;
export const taskOf = (loop: LoopName): string => `promote_${loop}_cycle`;

export const STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ProposalStatus = (typeof STATUSES)[number];

/** A pending proposal nobody decided on expires this long after it was made. */
export const EXPIRE_AFTER_MS = 14 * 24 * 60 * 60 * 1000;

export interface PhrasebookPayload {
  /** The question as `normalizeText` leaves it (what a DM is matched against). */
  readonly question: string;
  readonly questionDigest: string;
  /** The canned reply, as the model last gave it. */
  readonly answer: string;
  readonly answerDigest: string;
}

export interface SnapshotExpandPayload {
  readonly tool: string;
}

export interface RouterTuningPayload {
  readonly action: 'add' | 'remove';
  /** A JavaScript regular expression's source, matched case-insensitively. */
  readonly pattern: string;
}

export interface ToolTrimmingPayload {
  readonly route: string;
  readonly tool: string;
}

export interface FixEnvelopePayload {
  readonly probe: string;
  /** The failure's detail with its particulars (numbers, ids, hosts' ports) taken out; see docs/promote.md. */
  readonly signature: string;
  readonly state: string;
  /** One example of the detail as the probe reported it. */
  readonly detail: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly count: number;
  /** Drafted by the `engine` when one runs; null otherwise (or when drafting failed). */
  readonly suggestedAction: string | null;
}

export interface PayloadOf {
  phrasebook: PhrasebookPayload;
  snapshot_expand: SnapshotExpandPayload;
  router_tuning: RouterTuningPayload;
  tool_trimming: ToolTrimmingPayload;
  probe_fix_envelopes: FixEnvelopePayload;
}

/** What an analysis finds: the pure functions return these, the store turns them into proposals. */
export interface Candidate<L extends LoopName = LoopName> {
  /** Identifies what is proposed within its loop (the same finding next cycle has the same key). */
  readonly key: string;
  /** One line for a person. */
  readonly title: string;
  readonly payload: PayloadOf[L];
  /** The counts behind it, shown beside the proposal. */
  readonly evidence: Readonly<Record<string, number | string>>;
}

export interface Proposal<L extends LoopName = LoopName> {
  readonly id: string;
  readonly loop: L;
  readonly key: string;
  readonly status: ProposalStatus;
  readonly title: string;
  readonly payload: PayloadOf[L];
  readonly evidence: Readonly<Record<string, number | string>>;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number;
  readonly decidedAt: number | null;
  /** `web:admin`, `cli`, `mcp:<caller id>`, `auto:promote_<loop>` (auto-apply), `expiry`. */
  readonly decidedBy: string | null;
  readonly reason: string | null;
}

export function isLoop(value: unknown): value is LoopName {
  return typeof value === 'string' && (LOOPS as readonly string[]).includes(value);
}

export function isStatus(value: unknown): value is ProposalStatus {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}
