// Durations in a plugin's config schema, read with the runtime's own grammar and message, so
// `plugins.config.<id>.every: 5 minutes` fails the way `daemons.<name>.timeout: 5 minutes` does.
import { z } from '../zod.js';
import { DURATION_GRAMMAR, tryParseDuration, type Duration } from '../time/duration.js';

/** The message kora.yaml's own duration fields give. */
export const NOT_A_DURATION = `expected a duration: ${DURATION_GRAMMAR}`;

function check(text: string, ctx: z.core.$RefinementCtx<unknown>): number | undefined {
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
 * A positive integer of ms, or a duration in the same grammar, kept as given (`Duration |
 * number`, what `ConsumerSpec.backoff` takes; `parseDuration` reads either as ms). One schema,
 * not a union, so a bad value gets the grammar's message rather than zod's "Invalid input".
 */
export const durationOrMs = z.unknown().transform((value, ctx): Duration | number => {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  if (typeof value === 'string') return check(value, ctx) === undefined ? z.NEVER : (value.trim() as Duration);
  ctx.addIssue({ code: 'custom', message: `expected a number of ms (a positive integer) or a duration: ${DURATION_GRAMMAR} (got ${JSON.stringify(value)})`, input: value });
  return z.NEVER;
});

/**
 * A consumer's retry settings as a plugin's config offers them (`ConsumerSpec.attempts` and
 * `backoff`): deliveries before the dead letter (1–50), and the first retry's delay, a duration
 * or ms, doubled after each. `slack: { dm: { attempts: 3, backoff: 10s } }`.
 */
export const consumerRetry = z
  .object({
    attempts: z.number().int().min(1).max(50).optional(),
    backoff: durationOrMs.optional(),
  })
  .strict();
