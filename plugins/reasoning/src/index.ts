// The bundled reasoning plugin (DESIGN §8): the `reasoning_engine` daemon, holder of the LLM
// engine over the Anthropic Messages API, providing the `engine` service every channel asks for
// a reply, the `usage` service over its usage rows, and the admin API's /api/ask and /api/usage. Its tables (usage rows, conversation turns) come from its own migrations.
import { definePlugin } from '@kora/runtime';
import { engineSettings, reasoningConfigSchema, type ReasoningConfig } from './config.js';
import { reasoningDaemon } from './daemon.js';
import { migrations } from './migrations.js';
import { askRoute, usageRoute } from './routes.js';
import { usageLedger } from './usage.js';

export type { ModelPrice, ReasoningConfig } from './config.js';
export type { ReasoningErrorCode } from './errors.js';
export { MAX_USAGE_DAYS, type UsageDay } from './routes.js';
export { readUsage, type CallOutcome, type UsageRow } from './usage.js';

export default definePlugin<ReasoningConfig | undefined>({
  id: 'reasoning',
  configSchema: reasoningConfigSchema.optional(),
  migrations,
  register(ctx) {
    ctx.registerDaemon(reasoningDaemon(ctx, engineSettings(ctx.config)));
    // `kora ask` and `kora usage`: mounted by the `web` plugin behind the admin token.
    ctx.contribute('http.admin', askRoute(ctx));
    ctx.contribute('http.admin', usageRoute(ctx));
    // The usage rows for the cost telemetry, whether or not the engine starts: past spend counts.
    ctx.services.provide('usage', usageLedger(ctx.db));
  },
});
