// Durations in a plugin's config schema, read with the runtime's own grammar and message, so
// `plugins.config.<id>.every: 5 minutes` fails the way `daemons.<name>.timeout: 5 minutes` does.
import * as z from 'zod';
import { DURATION_GRAMMAR, tryParseDuration, type Duration } from '../time/duration.js';

/** The message kora.yaml's own duration fields give. */
export const NOT_A_DURATION = `expected a duration: ${DURATION_GRAMMAR}`;

function check(text: string, ctx: z.core.$RefinementCtx<string>): number | undefined {
  const ms = tryParseDuration(text);
  if (ms === undefined) ctx.addIssue({ code: 'custom', message: `${NOT_A_DURATION} (got ${JSON.stringify(text)})`, input: text });
  return ms;
}

/**
 * A duration as written (`500ms`, `30s`, `5m`, `2h`, `1d`), checked and typed `Duration`: what
 * `TaskSpec.every`, `timeout` and the daemon timeouts take as they are. `duration.default('1m')`.
 */
export const duration = z
  .string()
  .transform((text, ctx) => {
    check(text, ctx);
    return text.trim() as Duration;
  });

/** The same grammar, parsed to milliseconds: `durationMs.parse('2s') === 2000`. */
export const durationMs = z.string().transform((text, ctx) => check(text, ctx) ?? z.NEVER);

/**
 * A consumer's retry settings as a plugin's config offers them (`ConsumerSpec.attempts` and
 * `backoff`): deliveries before the dead letter (1–50), and the first retry's delay, a duration
 * or ms, doubled after each. `slack: { dm: { attempts: 3, backoff: 10s } }`.
 */
export const consumerRetry = z
  .object({
    attempts: z.number().int().min(1).max(50).optional(),
    backoff: z.union([duration, z.number().int().positive()]).optional(),
  })
  .strict();
