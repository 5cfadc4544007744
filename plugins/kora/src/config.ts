// The kora plugin's config (`plugins.config.kora`): the model ids the hooks choose between, the
// cost ladder's decision patterns, the router's thresholds and phrases, what the audit rows may
// hold. Every key is optional; unknown keys are errors, as everywhere in kora.yaml.
import { z } from '@kora/runtime';

/** Anthropic's current aliases: Haiku for the cheap tier, Sonnet for the strong one; used only when no engine says its own. */
export const DEFAULT_MODELS = { cheap: 'claude-haiku-4-5', strong: 'claude-sonnet-4-5' } as const;

/** Case-insensitive regular expressions; any match in the user's message asks for the strong model. */
export const DEFAULT_DECISION_PATTERNS: readonly string[] = [
  String.raw`\bshould (we|i)\b`,
  String.raw`\bdecid(e|es|ed|ing)\b`,
  String.raw`\bdecision\b`,
  String.raw`\btrade-?offs?\b`,
  String.raw`\brecommend`,
  String.raw`\bpros and cons\b`,
  String.raw`\bwhich (one |option )?(is|would be) better\b`,
];

/** Matched case-insensitively, curly apostrophes read as straight ones. */
export const DEFAULT_LOW_CONFIDENCE_PHRASES: readonly string[] = [
  "I'm not sure",
  'I am not sure',
  "I'm not certain",
  "I don't know",
  'I do not know',
  'it depends',
  'hard to say',
  "I can't tell",
];

export const DEFAULT_ROUTER_THRESHOLDS = { longQuestionChars: 400, shortAnswerChars: 120 } as const;
export const DEFAULT_AUDIT_MAX_CHARS = 500;

const pattern = z.string().min(1).refine(
  (source) => {
    try {
      new RegExp(source, 'iu');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression (JavaScript syntax, matched case-insensitively)' },
);

export const koraConfigSchema = z
  .object({
    models: z
      .object({
        /** The model for routine turns (and for every turn on the warn_75 and downshift_90 rungs). Default: the engine's cheap model. */
        cheap: z.string().min(1).optional(),
        /** The model for decisions, later tool-loop iterations, `/opus` and re-asked answers. Default: the engine's strong model. */
        strong: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    costLadder: z
      .object({
        /** Replace the default decision-language patterns (an empty list: no turn is a decision). */
        decisionPatterns: z.array(pattern).optional(),
      })
      .strict()
      .optional(),
    router: z
      .object({
        /** Replace the default low-confidence phrases. */
        lowConfidencePhrases: z.array(z.string().min(1)).optional(),
        /** A question at least this long (characters)… */
        longQuestionChars: z.number().int().positive().optional(),
        /** …answered in fewer characters than this is re-asked of the strong model. */
        shortAnswerChars: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    audit: z
      .object({
        /** Put the user's message, the answer and tool inputs in the audit rows, truncated. Default false. */
        includePrompts: z.boolean().optional(),
        /** Only on the `slack_dm` route: the person's message and the answer, truncated (what the phrasebook needs to draft a canned reply). Default false. */
        includeDmText: z.boolean().optional(),
        /** Truncate each of them to this many characters (default 500). */
        maxChars: z.number().int().positive().max(20_000).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type KoraConfig = z.infer<typeof koraConfigSchema>;

/** The config with every default filled in and the patterns compiled, once, at register. */
export interface KoraSettings {
  /** The fallback ids: the configured ones, else the defaults. */
  readonly models: { readonly cheap: string; readonly strong: string };
  /** What `plugins.config.kora.models` sets; an unset tier follows the engine's own (`engine.models`). */
  readonly configuredModels: { readonly cheap?: string; readonly strong?: string };
  readonly decisionPatterns: readonly RegExp[];
  readonly router: { readonly lowConfidencePhrases: readonly string[]; readonly longQuestionChars: number; readonly shortAnswerChars: number };
  readonly audit: { readonly includePrompts: boolean; readonly includeDmText?: boolean; readonly maxChars: number };
}

export function koraSettings(config: KoraConfig | undefined): KoraSettings {
  return {
    models: { cheap: config?.models?.cheap ?? DEFAULT_MODELS.cheap, strong: config?.models?.strong ?? DEFAULT_MODELS.strong },
    configuredModels: { ...(config?.models?.cheap ? { cheap: config.models.cheap } : {}), ...(config?.models?.strong ? { strong: config.models.strong } : {}) },
    decisionPatterns: (config?.costLadder?.decisionPatterns ?? DEFAULT_DECISION_PATTERNS).map((source) => new RegExp(source, 'iu')),
    router: {
      lowConfidencePhrases: config?.router?.lowConfidencePhrases ?? DEFAULT_LOW_CONFIDENCE_PHRASES,
      longQuestionChars: config?.router?.longQuestionChars ?? DEFAULT_ROUTER_THRESHOLDS.longQuestionChars,
      shortAnswerChars: config?.router?.shortAnswerChars ?? DEFAULT_ROUTER_THRESHOLDS.shortAnswerChars,
    },
    audit: { includePrompts: config?.audit?.includePrompts ?? false, includeDmText: config?.audit?.includeDmText ?? false, maxChars: config?.audit?.maxChars ?? DEFAULT_AUDIT_MAX_CHARS },
  };
}
