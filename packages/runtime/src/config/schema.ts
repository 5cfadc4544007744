// The shape of kora.yaml, validated with zod. Unknown keys are errors: a typo such as
// `deamons:` must not silently do nothing.
import * as z from 'zod';
import { tryParseDuration } from '../time/duration.js';

export const PLUGIN_ID_RE = /^[a-z][a-z0-9_-]*$/;

const duration = z
  .string()
  .refine((s) => tryParseDuration(s) !== undefined, { message: 'expected a duration: an integer and a unit, e.g. 500ms, 30s, 5m, 2h, 1d' });

const pluginId = z.string().regex(PLUGIN_ID_RE, { message: 'expected a plugin id: lowercase letters, digits, "_" or "-", starting with a letter' });

const uniqueIds = (ids: string[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [i], message: `"${id}" is listed twice` });
    seen.add(id);
  });
};

export const taskOverrideSchema = z.strictObject({
  every: duration.optional().describe('Run at this fixed interval, aligned to the Unix epoch (replaces the task\'s own schedule).'),
  cron: z.string().min(1).optional().describe('Run on this 5- or 6-field cron expression (replaces the task\'s own schedule).'),
  timezone: z.string().min(1).optional().describe('IANA time zone for cron; default UTC.'),
  offset: duration.optional().describe('Shift interval slots from the epoch alignment.'),
  enabled: z.boolean().optional().describe('false: never schedule this task.'),
  timeout: duration.optional().describe('Per-run timeout.'),
  missed: z.enum(['skip', 'run-once']).optional().describe('What to do about slots missed while the gateway was down.'),
});

export const daemonOverrideSchema = z.strictObject({
  enabled: z.boolean().optional().describe('false: do not start this daemon.'),
  fatal: z.boolean().optional().describe('Override the daemon\'s fatalOnStartupFailure.'),
  startTimeout: duration.optional(),
  stopTimeout: duration.optional(),
  tasks: z.record(z.string(), taskOverrideSchema).optional(),
});

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

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
      url: z.string().min(1).optional().describe('Default: SQLite at $KORA_HOME/kora.db. postgres://… for several machines.'),
      ledger: z
        .strictObject({
          maxRowsPerTask: z.number().int().positive().default(1000),
          maxAge: duration.default('30d'),
        })
        .default({ maxRowsPerTask: 1000, maxAge: '30d' }),
      audit: z
        .strictObject({
          maxAge: duration.default('90d').describe('Audit entries older than this are deleted (checked at boot and hourly).'),
        })
        .default({ maxAge: '90d' }),
    })
    .default({ ledger: { maxRowsPerTask: 1000, maxAge: '30d' }, audit: { maxAge: '90d' } }),
  log: z
    .strictObject({
      level: logLevel.optional().describe('Default info; KORA_LOG_LEVEL overrides.'),
      format: z.enum(['json', 'pretty']).optional().describe('Default: pretty in dev, json otherwise.'),
    })
    .default({}),
  hooks: z.strictObject({ timeout: duration.default('30s') }).default({ timeout: '30s' }),
  gateway: z
    .strictObject({
      drainBudget: duration.default('10s').describe('How long in-flight task runs may take to finish at shutdown before they are aborted.'),
    })
    .default({ drainBudget: '10s' }),
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
