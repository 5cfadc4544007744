// One cycle of a learning loop, the same five times: the kill switch (read at every cycle), the
// expiry sweep, the audit rows of the window, the loop's pure analysis, the findings offered to
// the store, auto-apply when the operator turned it on, the drafted action of a new fix envelope,
// and one `promote.cycle` audit row saying what happened. Each loop is a daemon of its own with
// one daily task, non-fatal and leader-scoped (one gateway of a fleet runs the loops).
import type { AuditEntry, DaemonContext, DaemonSpec, Engine, GatewayView, Logger, Services, TaskRunContext } from '@kora/runtime';
import { killSwitchKey, loopOn, type PromoteSettings } from './config.js';
import { runtimeOffOf, type RuntimeSwitches } from './switches.js';
import type { ProposalDesk } from './desk.js';
import { analyzePhrasebook, PHRASEBOOK_SEAMS } from './loops/phrasebook.js';
import { analyzeProbeFixEnvelopes, PROBE_SEAMS } from './loops/probe-fix-envelopes.js';
import { analyzeRouterTuning, ROUTER_SEAMS } from './loops/router-tuning.js';
import type { Analysis, Rows } from './loops/rows.js';
import { analyzeSnapshotExpand, SNAPSHOT_SEAMS } from './loops/snapshot-expand.js';
import { analyzeToolTrimming, TRIMMING_SEAMS } from './loops/tool-trimming.js';
import { daemonOf, taskOf, type FixEnvelopePayload, type LoopName, type Proposal } from './proposal.js';

export const CYCLE_SEAM = 'promote.cycle';
export const CREATED_SEAM = 'promote.proposal_created';
/** Rows read per seam and cycle, at most: a window larger than this is analysed on its newest rows. */
export const MAX_ROWS_PER_SEAM = 50_000;
const PAGE = 500;

interface LoopDefinition {
  readonly seams: readonly string[];
  analyze(rows: Rows, settings: PromoteSettings): Analysis<LoopName>;
}

export const LOOP_DEFINITIONS: { readonly [L in LoopName]: LoopDefinition } = {
  phrasebook: { seams: PHRASEBOOK_SEAMS, analyze: (rows, s) => analyzePhrasebook(rows, s.loops.phrasebook.analysis) },
  snapshot_expand: { seams: SNAPSHOT_SEAMS, analyze: (rows, s) => analyzeSnapshotExpand(rows, s.loops.snapshot_expand.analysis) },
  router_tuning: { seams: ROUTER_SEAMS, analyze: (rows, s) => analyzeRouterTuning(rows, s.loops.router_tuning.analysis) },
  tool_trimming: { seams: TRIMMING_SEAMS, analyze: (rows, s) => analyzeToolTrimming(rows, s.loops.tool_trimming.analysis) },
  probe_fix_envelopes: { seams: PROBE_SEAMS, analyze: (rows, s) => analyzeProbeFixEnvelopes(rows, s.loops.probe_fix_envelopes.analysis) },
};

export interface CycleDeps {
  readonly desk: ProposalDesk;
  readonly settings: PromoteSettings;
  /** The runtime kill switch, read at every cycle (switches.ts). */
  readonly switches: RuntimeSwitches;
  readonly gateway: GatewayView;
  readonly log: Logger;
  audit(seam: string, details: Record<string, unknown>): Promise<void>;
}

/** The rows of `seams` with since ≤ at < until, newest first, at most MAX_ROWS_PER_SEAM per seam. */
export async function readWindow(gateway: GatewayView, seams: readonly string[], since: number, until: number, signal?: AbortSignal): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for (const seam of seams) {
    let beforeId: number | undefined;
    let read = 0;
    while (read < MAX_ROWS_PER_SEAM) {
      signal?.throwIfAborted();
      const page = await gateway.auditPage({ seam, since, until, limit: PAGE, ...(beforeId !== undefined ? { beforeId } : {}) });
      out.push(...page);
      read += page.length;
      const last = page.at(-1)?.id;
      if (page.length < PAGE || last === undefined) break;
      beforeId = last;
    }
  }
  return out;
}

export interface CycleReport {
  readonly loop: LoopName;
  readonly skipped?: 'kill_switch';
  readonly rows: number;
  readonly candidates: number;
  readonly created: number;
  readonly updated: number;
  readonly autoApproved: number;
  readonly expired: number;
  readonly notes: readonly string[];
}

/** A new or refreshed envelope keeps the action drafted for it before. */
function keepDraft(previous: Proposal['payload'], next: Proposal['payload']): Proposal['payload'] {
  const before = previous as FixEnvelopePayload;
  const after = next as FixEnvelopePayload;
  return after.suggestedAction === null && before.suggestedAction ? { ...after, suggestedAction: before.suggestedAction } : after;
}

const DRAFT_PROMPT = (p: FixEnvelopePayload) =>
  [
    `The service probe "${p.probe}" failed the same way ${p.count} times between ${new Date(p.firstSeen).toISOString()} and ${new Date(p.lastSeen).toISOString()}.`,
    `State: ${p.state}. Error signature: ${p.signature}. Latest detail: ${p.detail || '(none)'}.`,
    'Suggest the one most likely fix an operator should try, in at most three sentences. Do not claim to have done anything.',
  ].join('\n');

async function draftAction(engine: Engine | undefined, payload: FixEnvelopePayload, signal: AbortSignal, log: Logger): Promise<string | null> {
  if (!engine) return null;
  try {
    const reply = await engine.respond({ route: 'probe_investigation', messages: [{ role: 'user', content: DRAFT_PROMPT(payload) }], tools: [], signal, metadata: { probe: payload.probe, loop: 'probe_fix_envelopes' } });
    const text = reply.text.trim();
    return text === '' ? null : text.slice(0, 2000);
  } catch (err) {
    log.warn({ err, probe: payload.probe }, `promote: the engine could not draft an action for the fix envelope of probe ${payload.probe}; the envelope is kept without one`);
    return null;
  }
}

export async function runCycle(loop: LoopName, deps: CycleDeps, run: Pick<TaskRunContext, 'signal' | 'trigger'>, daemon: { services: Services; setNote(text: string | null): void }): Promise<CycleReport> {
  const { desk, settings, gateway, log } = deps;
  const expired = (await desk.expire()).length;
  const runtimeOff = loopOn(settings, loop) ? runtimeOffOf(await deps.switches.read(), loop) : null;
  if (!loopOn(settings, loop) || runtimeOff) {
    const key = runtimeOff ? `runtime:${runtimeOff.target}` : killSwitchKey(settings, loop);
    daemon.setNote(
      runtimeOff
        ? `kill switch: ${runtimeOff.target === 'all' ? 'all loops' : `loop ${loop}`} turned off by ${runtimeOff.off.by} at ${new Date(runtimeOff.off.at).toISOString()}; the cycle proposes nothing and nothing approved applies (\`kora proposals resume${runtimeOff.target === 'all' ? '' : ` ${loop}`}\` turns it on)`
        : `kill switch: ${key} is false; the cycle proposes nothing and nothing approved applies`,
    );
    const report: CycleReport = { loop, skipped: 'kill_switch', rows: 0, candidates: 0, created: 0, updated: 0, autoApproved: 0, expired, notes: [] };
    await deps.audit(CYCLE_SEAM, { ...report, trigger: run.trigger, killSwitch: key });
    return report;
  }
  const loopSettings = settings.loops[loop];
  const now = desk.clock.now();
  const rows = await readWindow(gateway, LOOP_DEFINITIONS[loop].seams, now - loopSettings.windowMs, now + 1, run.signal);
  const { candidates, notes } = LOOP_DEFINITIONS[loop].analyze(rows, settings);
  const engine = loop === 'probe_fix_envelopes' ? daemon.services.tryGet('engine') : undefined;
  if (loop === 'probe_fix_envelopes' && !engine && candidates.length > 0) notes.push('no engine service runs: fix envelopes are written without a suggested action');

  let created = 0;
  let updated = 0;
  let autoApproved = 0;
  for (const candidate of candidates) {
    run.signal.throwIfAborted();
    const { outcome, proposal } = await desk.store.offer(loop, candidate, desk.clock.now(), loop === 'probe_fix_envelopes' ? keepDraft : undefined);
    if (outcome === 'created') {
      created += 1;
      await deps.audit(CREATED_SEAM, { id: proposal.id, loop, evidence: proposal.evidence });
    } else if (outcome === 'updated') {
      updated += 1;
    } else continue;
    if (loop === 'probe_fix_envelopes') {
      const payload = proposal.payload as FixEnvelopePayload;
      if (payload.suggestedAction === null && engine) {
        const action = await draftAction(engine, payload, run.signal, log);
        if (action !== null) await desk.store.setPayload(proposal.id, { ...payload, suggestedAction: action }, desk.clock.now());
      }
    } else if (outcome === 'created' && loopSettings.autoApply) {
      await desk.decide(proposal.id, 'approved', `auto:${daemonOf(loop)}`, `auto-apply is on (plugins.config.promote.loops.${loop}.autoApply)`);
      autoApproved += 1;
    }
  }
  if (created > 0) await desk.changed();
  daemon.setNote(notes.length > 0 ? notes.join('; ') : null);
  const report: CycleReport = { loop, rows: rows.length, candidates: candidates.length, created, updated, autoApproved, expired, notes };
  await deps.audit(CYCLE_SEAM, { ...report, trigger: run.trigger });
  log.info({ ...report }, `promote: ${taskOf(loop)} read ${rows.length} audit rows: ${candidates.length} finding(s), ${created} new proposal(s), ${updated} refreshed`);
  return report;
}

/** The daemon of one loop: `promote_<loop>`, with its daily task `promote_<loop>_cycle`. */
export function loopDaemon(loop: LoopName, deps: CycleDeps): DaemonSpec {
  let context: DaemonContext | undefined;
  return {
    name: daemonOf(loop),
    fatalOnStartupFailure: false,
    scope: 'leader',
    start(d) {
      context = d;
      if (!loopOn(deps.settings, loop)) d.setNote(`kill switch: ${killSwitchKey(deps.settings, loop)} is false; the cycle proposes nothing and nothing approved applies`);
    },
    stop() {
      context = undefined;
    },
    tasks: [
      {
        name: taskOf(loop),
        every: '1d',
        missed: 'run-once',
        timeout: '10m',
        async run(run) {
          if (!context) throw new Error(`daemon ${daemonOf(loop)} ran its cycle before it started`);
          await runCycle(loop, deps, run, context);
        },
      },
    ],
  };
}
