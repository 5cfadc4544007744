// The shape of kora.yaml, validated with zod. Unknown keys are errors: a typo such as
// `deamons:` must not silently do nothing.
// Everything here is checked without any plugin: durations, the schedule rules an override
// must follow on its own, the store URL's form. What needs a plugin's spec (does the task exist,
// its own schedule) is checked when plugins load, by the same rules (schedule-rules.ts).
import { z } from '../zod.js';
import type { LogLevel } from '../log/logger.js';
import { storeUrlProblem } from '../store/url.js';
import { formatDuration, MAX_TIMER_MS, tryParseDuration } from '../time/duration.js';
import { NOT_A_DURATION } from './duration-schema.js';
import { cronProblem, offsetProblem, periodProblem, timezoneProblem } from './schedule-rules.js';

export const PLUGIN_ID_RE = /^[a-z][a-z0-9_-]*$/;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly LogLevel[];


/** Any duration, zero included. */
const duration = z.string().refine((s) => tryParseDuration(s) !== undefined, { message: NOT_A_DURATION });

/** A duration that must be more than zero (a zero timeout would fail everything at once, a zero age would delete everything). */
const positiveDuration = z.string().superRefine((s, ctx) => {
  const ms = tryParseDuration(s);
  if (ms === undefined) ctx.addIssue({ code: 'custom', message: NOT_A_DURATION });
  else if (ms === 0) ctx.addIssue({ code: 'custom', message: 'must be greater than zero' });
});

/** MAX_TIMER_MS in whole hours, as the message says it: `24d20h`. */
const MAX_TIMER_TEXT = formatDuration(Math.floor(MAX_TIMER_MS / 3_600_000) * 3_600_000);

/** A duration a timer waits for: a Node timer longer than MAX_TIMER_MS fires at once. */
const timerDuration = (positive: boolean) =>
  z.string().superRefine((s, ctx) => {
    const ms = tryParseDuration(s);
    if (ms === undefined) ctx.addIssue({ code: 'custom', message: NOT_A_DURATION });
    else if (positive && ms === 0) ctx.addIssue({ code: 'custom', message: 'must be greater than zero' });
    else if (ms > MAX_TIMER_MS) ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_TIMER_TEXT} (the longest a timer can wait)` });
  });

const pluginId = z.string().regex(PLUGIN_ID_RE, { message: 'expected a plugin id: lowercase letters, digits, "_" or "-", starting with a letter' });

const uniqueIds = (ids: string[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [i], message: `"${id}" is listed twice` });
    seen.add(id);
  });
};

export const taskOverrideSchema = z
  .strictObject({
  every: duration.optional().describe('Run at this fixed interval, aligned to the Unix epoch (replaces the task\'s own schedule).'),
  cron: z.string().min(1).optional().describe('Run on this 5- or 6-field cron expression (replaces the task\'s own schedule).'),
  timezone: z.string().min(1).optional().describe('IANA time zone for cron; default UTC.'),
  offset: duration.optional().describe('Shift interval slots from the epoch alignment.'),
  enabled: z.boolean().optional().describe('false: never schedule this task.'),
  timeout: timerDuration(true).optional().describe('Per-run timeout.'),
  missed: z.enum(['skip', 'run-once']).optional().describe('What to do about slots missed while the gateway was down.'),
})
  .superRefine(checkTaskOverride);

/**
 * The rules an override obeys on its own (schedule/resolve.ts applies the same ones once the
 * plugin's TaskSpec is known): `every` or `cron`, not both; the period floor; a valid cron in
 * a valid zone; an offset shorter than the period; no zone on an interval, no offset on a cron.
 */
function checkTaskOverride(o: { every?: string | undefined; cron?: string | undefined; timezone?: string | undefined; offset?: string | undefined }, ctx: z.RefinementCtx): void {
  const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
  if (o.every !== undefined && o.cron !== undefined) issue('cron', 'set either `every` or `cron`, not both');
  const everyMs = o.every === undefined ? undefined : tryParseDuration(o.every);
  if (everyMs !== undefined) {
    const problem = periodProblem(everyMs);
    if (problem) issue('every', problem);
    const offsetMs = o.offset === undefined ? undefined : tryParseDuration(o.offset);
    if (!problem && offsetMs !== undefined) {
      const offsetIssue = offsetProblem(offsetMs, everyMs);
      if (offsetIssue) issue('offset', offsetIssue);
    }
    if (o.timezone !== undefined) issue('timezone', 'applies to `cron` schedules only');
  }
  if (o.timezone !== undefined) {
    const problem = timezoneProblem(o.timezone);
    if (problem) issue('timezone', problem);
  }
  if (o.cron !== undefined) {
    const problem = cronProblem(o.cron, o.timezone);
    if (problem) issue('cron', problem);
    if (o.offset !== undefined) issue('offset', 'applies to `every` schedules only');
  }
}

export const daemonOverrideSchema = z.strictObject({
  enabled: z.boolean().optional().describe('false: do not start this daemon.'),
  fatal: z.boolean().optional().describe('Override the daemon\'s fatalOnStartupFailure.'),
  startTimeout: timerDuration(true).optional(),
  stopTimeout: timerDuration(true).optional(),
  tasks: z.record(z.string(), taskOverrideSchema).optional(),
});

const logLevel = z.enum(LOG_LEVELS);

export const configSchema = z.strictObject({
  home: z.string().min(1).optional().describe('KORA_HOME: where the store, status and user plugins live. Relative to this file. Default ~/.kora.'),
  plugins: z.strictObject({
    enabled: z.array(pluginId).superRefine(uniqueIds).describe('Plugins to load, in load order (= identity precedence). Nothing loads unless listed.'),
    disabled: z.array(pluginId).default([]).describe('Never load these, even when enabled.'),
    critical: z.array(pluginId).default([]).describe('Abort boot (exit 2) if one of these fails to load, in addition to plugins whose manifest says critical.'),
    config: z.record(pluginId, z.unknown()).default({}).describe('Per-plugin config, validated by each plugin\'s own schema.'),
  }),
  daemons: z.record(z.string(), daemonOverrideSchema).default({}),
  store: z
    .strictObject({
      url: z
        .string()
        .superRefine((url, ctx) => {
          const problem = storeUrlProblem(url);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        // `url: ""` (a template with the value left out) means the default, like an unset KORA_STORE_URL.
        .transform((url) => url.trim() || undefined)
        .optional()
        .describe('Default: SQLite at $KORA_HOME/kora.db. postgres://… for several machines. "" means the default.'),
      ledger: z
        .strictObject({
          maxRowsPerTask: z.number().int().positive().default(1000),
          maxAge: positiveDuration.default('30d'),
        })
        .default({ maxRowsPerTask: 1000, maxAge: '30d' }),
      audit: z
        .strictObject({
          maxAge: positiveDuration.default('90d').describe('Audit entries older than this are deleted (checked at boot and hourly).'),
        })
        .default({ maxAge: '90d' }),
      pool: z.number().int().min(2).max(200).optional().describe('PostgreSQL only: connections this gateway keeps open (default 10).'),
    })
    .default({ ledger: { maxRowsPerTask: 1000, maxAge: '30d' }, audit: { maxAge: '90d' } }),
  log: z
    .strictObject({
      level: logLevel.optional().describe('Default info; KORA_LOG_LEVEL overrides.'),
      format: z.enum(['json', 'pretty']).optional().describe('Default: pretty in dev, json otherwise.'),
    })
    .default({}),
  hooks: z.strictObject({ timeout: timerDuration(true).default('30s') }).default({ timeout: '30s' }),
  gateway: z
    .strictObject({
      drainBudget: timerDuration(false).default('10s').describe('How long in-flight task runs may take to finish at shutdown before they are aborted.'),
      heartbeatEvery: timerDuration(true)
        .default('5s')
        .describe('How often the gateway rewrites its status file from the event loop; `kora status` reports a gateway silent for three of these as not responding.'),
    })
    .default({ drainBudget: '10s', heartbeatEvery: '5s' }),
  fleet: z
    .strictObject({
      lease: timerDuration(true)
        .default('15s')
        .describe('Several gateways on one PostgreSQL: a gateway whose heartbeat is older than this is gone, its runs and its lead taken over. Also the leadership lease.'),
      heartbeatEvery: timerDuration(true).optional().describe('How often a gateway rewrites its fleet row and renews its lease. Default: a third of the lease.'),
    })
    .default({ lease: '15s' }),
  identity: z
    .strictObject({
      systemPromptPath: z.string().min(1).optional().describe('Fallback system prompt file when no plugin claims the identity (KORA_SYSTEM_PROMPT_PATH overrides).'),
      soulPath: z.string().min(1).optional().describe('Fallback persona file (KORA_SOUL_MD_PATH overrides).'),
    })
    .default({}),
});

export type KoraConfigInput = z.input<typeof configSchema>;
export type KoraConfig = z.output<typeof configSchema>;
export type DaemonOverride = z.output<typeof daemonOverrideSchema>;
export type TaskOverrideConfig = z.output<typeof taskOverrideSchema>;

/** The JSON Schema of kora.yaml, for editor completion (`kora config schema`). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://kora.dev/schema/kora.yaml.json',
    title: 'kora.yaml',
    ...z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
  };
}
