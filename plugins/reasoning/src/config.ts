// The reasoning plugin's config (`plugins.config.reasoning`): models, limits, retries, the price
// table and the history bounds, each with a default, so an empty section is a working engine.
import { z } from '@kora/runtime';

/** USD per million tokens, as Anthropic prices them. */
const priceSchema = z
  .object({
    input: z.number().nonnegative(),
    output: z.number().nonnegative(),
    cacheRead: z.number().nonnegative(),
    cacheWrite: z.number().nonnegative(),
  })
  .strict();

export type ModelPrice = z.infer<typeof priceSchema>;

/**
 * Anthropic's list prices (USD per million tokens; cache writes at the 5-minute rate) for the
 * default models. A model missing from the table costs 0 in the usage rows, with a warning.
 */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-haiku-4-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-sonnet-4-6': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  // Retired from SDK 1.15's model list, still the kora plugin's default strong model.
  'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-opus-4-5': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
};

export const DEFAULT_MODELS = { cheap: 'claude-haiku-4-5', strong: 'claude-sonnet-4-6' } as const;

/** The beta flag the Messages API wants with a Claude Code OAuth token. */
export const DEFAULT_OAUTH_BETA = 'oauth-2025-04-20';

export const reasoningConfigSchema = z
  .object({
    /** `cheap` is every call's model unless a hook picks another; a hook may name either by its tier (`cheap`, `strong`). */
    models: z.object({ cheap: z.string().min(1), strong: z.string().min(1) }).strict().optional(),
    /** `max_tokens` of every call (default 4096). */
    maxTokens: z.number().int().positive().max(128_000).optional(),
    /** Per attempt of a model call, in ms (default 120 000); the SDK retries a timed-out attempt. */
    timeoutMs: z.number().int().positive().optional(),
    /** Model calls per reply: the tool-use loop and re-asks together (default 5). */
    maxCalls: z.number().int().min(1).max(50).optional(),
    /** Retries of a call that got 408/409/429/5xx or no answer, with backoff honouring retry-after (default 2). */
    retries: z.number().int().min(0).max(10).optional(),
    /** The API's base URL; ANTHROPIC_BASE_URL wins over it. */
    baseUrl: z.string().url().optional(),
    /** `anthropic-beta` sent with an OAuth token (default oauth-2025-04-20); false sends none. */
    oauthBeta: z.union([z.string().min(1), z.literal(false)]).optional(),
    /** USD per million tokens by model id, over the defaults. */
    prices: z.record(z.string().min(1), priceSchema).optional(),
    /** What a reply sees of its conversation: the newest turns, at most `turns` and about `tokens`. */
    history: z
      .object({
        turns: z.number().int().min(0).max(1000).optional(),
        tokens: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ReasoningConfig = z.infer<typeof reasoningConfigSchema>;

export interface EngineSettings {
  readonly models: { readonly cheap: string; readonly strong: string };
  readonly maxTokens: number;
  readonly timeoutMs: number;
  readonly maxCalls: number;
  readonly retries: number;
  readonly baseUrl: string | undefined;
  readonly oauthBeta: string | false;
  readonly prices: Readonly<Record<string, ModelPrice>>;
  readonly history: { readonly turns: number; readonly tokens: number };
}

export function engineSettings(config: ReasoningConfig | undefined): EngineSettings {
  return {
    models: config?.models ?? DEFAULT_MODELS,
    maxTokens: config?.maxTokens ?? 4096,
    timeoutMs: config?.timeoutMs ?? 120_000,
    maxCalls: config?.maxCalls ?? 5,
    retries: config?.retries ?? 2,
    baseUrl: config?.baseUrl,
    oauthBeta: config?.oauthBeta ?? DEFAULT_OAUTH_BETA,
    prices: { ...DEFAULT_PRICES, ...config?.prices },
    history: { turns: config?.history?.turns ?? 20, tokens: config?.history?.tokens ?? 8000 },
  };
}
