// What `kora status` accepts from `run/status.json`: the fields it reads, validated, and the rest
// passed through. Schema 1 files (before heartbeat, process identity and exit records) still read.
import { z } from '../zod.js';

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO time');
const nullableString = z.string().nullable();

const identitySource = z.discriminatedUnion('kind', [z.looseObject({ kind: z.literal('plugin'), pluginId: z.string() }), z.looseObject({ kind: z.literal('file'), path: z.string() })]);

const lastRun = z.looseObject({
  slot: z.string(),
  startedAt: nullableString,
  status: z.string(),
  durationMs: z.number().nullable(),
  error: nullableString,
});

const task = z.looseObject({
  name: z.string(),
  daemon: z.string(),
  schedule: z.string(),
  nextRun: nullableString,
  lastRun: lastRun.nullable(),
  runs: z.number(),
  failures: z.number(),
});

const daemon = z.looseObject({
  name: z.string(),
  plugin: z.string(),
  state: z.enum(['pending', 'starting', 'running', 'failed', 'stopping', 'stopped']),
  fatal: z.boolean(),
  /** Host API 1.1: `leader` daemons run on one gateway of a fleet. */
  scope: z.enum(['everywhere', 'leader']).default('everywhere'),
  error: nullableString,
  skipped: nullableString.default(null),
  tasks: z.array(task).default([]),
  /** Host API 1.1: addresses the daemon serves. */
  endpoints: z.array(z.looseObject({ name: z.string(), url: z.string(), note: z.string().optional() })).default([]),
  /** Host API 1.1: what a running daemon does without. */
  note: nullableString.default(null),
});

const plugin = z.looseObject({
  id: z.string(),
  version: z.string(),
  source: z.string(),
  state: z.string(),
  /** Schema 1 listed only enabled plugins and invalid ones, without saying which. */
  enabled: z.boolean().optional(),
  error: nullableString,
});

const exitRecord = z.looseObject({
  code: z.number().int(),
  reason: z.string(),
  at: isoTime,
  forced: z.boolean().optional(),
  by: z.string().optional(),
});

export const storedStatusSchema = z.looseObject({
  schema: z.union([z.literal(1), z.literal(2)]),
  pid: z.number().int().positive(),
  processStartedAt: nullableString.default(null),
  sessionId: z.string(),
  state: z.enum(['booting', 'running', 'degraded', 'shutting_down', 'stopped']),
  problems: z.array(z.string()).default([]),
  deployEnv: z.string(),
  startedAt: isoTime,
  updatedAt: isoTime,
  heartbeatAt: isoTime.nullable().default(null),
  heartbeatEveryMs: z.number().positive().nullable().default(null),
  uptimeMs: z.number(),
  shutdownReason: nullableString,
  exitCode: z.number().int().nullable(),
  exit: exitRecord.nullable().default(null),
  home: z.string(),
  config: nullableString,
  store: z.looseObject({ kind: z.string(), location: z.string() }).nullable(),
  identity: z
    .union([
      z.looseObject({ agentName: z.string(), source: identitySource, systemPromptChars: z.number(), soulChars: z.number() }),
      z.looseObject({ error: z.string(), code: z.string() }),
    ])
    .nullable(),
  plugins: z.array(plugin).default([]),
  daemons: z.array(daemon).default([]),
  inbox: z.array(z.looseObject({ topic: z.string(), consumer: nullableString, pending: z.number(), inFlight: z.number(), dead: z.number() })).default([]),
  /** The fleet (added without a schema bump: older files have none). */
  fleet: z.looseObject({ leader: nullableString, leading: z.boolean(), leaderSince: nullableString, leaseMs: z.number(), heartbeatAt: nullableString.default(null) }).nullable().default(null),
});

/** A status as read back from disk: schema 1 or 2, with schema 2's fields defaulted for 1. */
export type StoredStatus = z.infer<typeof storedStatusSchema>;

/** The first problems of a file that is JSON but not a status, as `field: what`, for one plain sentence. */
export function describeStatusIssues(error: z.ZodError, max = 3): string {
  const shown = error.issues.slice(0, max).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  const more = error.issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}
