// `plugins.config.promote`: a kill switch for all loops and one per loop (read at every cycle),
// auto-apply per loop (off by default; the probe fix envelopes have none at all), the window each
// analysis reads, and its thresholds. Every key optional; unknown keys are errors.
import { z } from '@kora/runtime';
import type { LoopName } from './proposal.js';

const days = z.number().int().min(1).max(90);
const count = z.number().int().min(1).max(100_000);
const share = z.number().min(0).max(1);

const common = { enabled: z.boolean().optional(), windowDays: days.optional() };
const applicable = { ...common, autoApply: z.boolean().optional() };

export const promoteConfigSchema = z
  .object({
    /** false: every loop proposes nothing and nothing approved is applied (the plugin's kill switch). */
    enabled: z.boolean().optional(),
    loops: z
      .object({
        phrasebook: z.object({ ...applicable, minAsks: count.optional(), minConsistency: share.optional() }).strict().optional(),
        snapshot_expand: z.object({ ...applicable, minRepeats: count.optional() }).strict().optional(),
        router_tuning: z
          .object({ ...applicable, minEscalations: count.optional(), minEscalationShare: share.optional(), minMatches: count.optional(), shortAnswerTokens: count.optional(), minShortShare: share.optional() })
          .strict()
          .optional(),
        tool_trimming: z.object({ ...applicable, minOffers: count.optional() }).strict().optional(),
        // No autoApply: a fix envelope is advice for a person, never applied by the agent.
        probe_fix_envelopes: z.object({ ...common, minFailures: count.optional() }).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type PromoteConfig = z.infer<typeof promoteConfigSchema>;

export interface PhrasebookSettings {
  /** Asked at least this many times over the window… */
  readonly minAsks: number;
  /** …with the same answer at least this share of the times. */
  readonly minConsistency: number;
}
export interface SnapshotExpandSettings {
  /** Calls of a tool (without input) that returned what its previous call had returned. */
  readonly minRepeats: number;
}
export interface RouterTuningSettings {
  /** An opening escalated at least this many times… */
  readonly minEscalations: number;
  /** …in at least this share of the replies that opened with it, is proposed as a pattern. */
  readonly minEscalationShare: number;
  /** A pattern that matched at least this many replies… */
  readonly minMatches: number;
  /** …whose answers were under this many output tokens… */
  readonly shortAnswerTokens: number;
  /** …in at least this share, is proposed for removal. */
  readonly minShortShare: number;
}
export interface ToolTrimmingSettings {
  /** A tool offered in at least this many replies of a route and never called there. */
  readonly minOffers: number;
}
export interface FixEnvelopeSettings {
  /** The same probe failing the same way at least this many times. */
  readonly minFailures: number;
}

export interface LoopSettings<T> {
  readonly enabled: boolean;
  readonly autoApply: boolean;
  readonly windowMs: number;
  readonly analysis: T;
}

export interface PromoteSettings {
  readonly enabled: boolean;
  readonly loops: {
    readonly phrasebook: LoopSettings<PhrasebookSettings>;
    readonly snapshot_expand: LoopSettings<SnapshotExpandSettings>;
    readonly router_tuning: LoopSettings<RouterTuningSettings>;
    readonly tool_trimming: LoopSettings<ToolTrimmingSettings>;
    readonly probe_fix_envelopes: LoopSettings<FixEnvelopeSettings>;
  };
}

export const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULTS = {
  windowDays: 7,
  phrasebook: { minAsks: 3, minConsistency: 0.8 },
  snapshot_expand: { minRepeats: 5 },
  router_tuning: { minEscalations: 3, minEscalationShare: 0.5, minMatches: 10, shortAnswerTokens: 120, minShortShare: 0.8 },
  tool_trimming: { minOffers: 20 },
  probe_fix_envelopes: { minFailures: 3 },
} as const;

function loop<T>(config: { enabled?: boolean | undefined; windowDays?: number | undefined; autoApply?: boolean | undefined } | undefined, analysis: T): LoopSettings<T> {
  return { enabled: config?.enabled ?? true, autoApply: config?.autoApply ?? false, windowMs: (config?.windowDays ?? DEFAULTS.windowDays) * DAY_MS, analysis };
}

export function promoteSettings(config: PromoteConfig | undefined): PromoteSettings {
  const l = config?.loops;
  return {
    enabled: config?.enabled ?? true,
    loops: {
      phrasebook: loop(l?.phrasebook, {
        minAsks: l?.phrasebook?.minAsks ?? DEFAULTS.phrasebook.minAsks,
        minConsistency: l?.phrasebook?.minConsistency ?? DEFAULTS.phrasebook.minConsistency,
      }),
      snapshot_expand: loop(l?.snapshot_expand, { minRepeats: l?.snapshot_expand?.minRepeats ?? DEFAULTS.snapshot_expand.minRepeats }),
      router_tuning: loop(l?.router_tuning, {
        minEscalations: l?.router_tuning?.minEscalations ?? DEFAULTS.router_tuning.minEscalations,
        minEscalationShare: l?.router_tuning?.minEscalationShare ?? DEFAULTS.router_tuning.minEscalationShare,
        minMatches: l?.router_tuning?.minMatches ?? DEFAULTS.router_tuning.minMatches,
        shortAnswerTokens: l?.router_tuning?.shortAnswerTokens ?? DEFAULTS.router_tuning.shortAnswerTokens,
        minShortShare: l?.router_tuning?.minShortShare ?? DEFAULTS.router_tuning.minShortShare,
      }),
      tool_trimming: loop(l?.tool_trimming, { minOffers: l?.tool_trimming?.minOffers ?? DEFAULTS.tool_trimming.minOffers }),
      // Never auto-applied, whatever the config says (the schema has no key for it).
      probe_fix_envelopes: { ...loop(l?.probe_fix_envelopes, { minFailures: l?.probe_fix_envelopes?.minFailures ?? DEFAULTS.probe_fix_envelopes.minFailures }), autoApply: false },
    },
  };
}

/** Whether a loop may propose and its approvals apply now: the plugin's switch and the loop's. */
export function loopOn(settings: PromoteSettings, loop: LoopName): boolean {
  return settings.enabled && settings.loops[loop].enabled;
}

/** The config key that turned a loop off, for the note and the audit row. */
export function killSwitchKey(settings: PromoteSettings, loop: LoopName): string {
  return settings.enabled ? `plugins.config.promote.loops.${loop}.enabled` : 'plugins.config.promote.enabled';
}
