// The probes plugin's config (`plugins.config.probes`) and the settings it runs with: the
// presets' base URLs (config over env over each API's own), the generic HTTP probes, the
// per-probe timeout (10 s), the concurrency limit, the history bound and probe_wake's knobs.
// Tokens come from the environment only (a secret never sits in kora.yaml).
import { duration, parseDuration, z } from '@kora/runtime';
import { PRESETS, type PresetName } from './presets.js';

const httpUrl = z.url({ protocol: /^https?$/ });
/** A probe's name: in the history table, the UI and alert keys (`probe:<name>`). */
const probeName = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'lower-case letters, digits, `_`, `.` and `-`, at most 64, starting with a letter or digit');
const MAX_TIMEOUT_MS = 60_000;
const timeout = duration.refine((d) => parseDuration(d) >= 1 && parseDuration(d) <= MAX_TIMEOUT_MS, { message: 'between 1ms and 60s' });

const httpProbe = z
  .object({
    name: probeName,
    url: httpUrl,
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS']).optional(),
    /** The status (or statuses) that mean up; default any 2xx or 3xx. */
    expectStatus: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)]).optional(),
    /** A regular expression the body must match (the first 64 KiB); a mismatch is `degraded`. */
    bodyMatch: z
      .string()
      .min(1)
      .refine(
        (s) => {
          try {
            new RegExp(s);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'a valid regular expression' },
      )
      .optional(),
    timeout: timeout.optional(),
  })
  .strict();

const preset = z.object({ baseUrl: httpUrl.optional(), enabled: z.boolean().optional() }).strict();

export const probesConfigSchema = z
  .object({
    /** Per-probe timeout (default 10s). */
    timeout: timeout.optional(),
    /** Probes run at once, at most (default 4). */
    concurrency: z.number().int().min(1).max(32).optional(),
    /** An answer slower than this is `degraded` (default 5s). */
    slowAfter: duration.optional(),
    /** Results kept per probe (default 288: a day at the default 5-minute period). */
    history: z.number().int().min(10).max(10_000).optional(),
    presets: z
      .object({
        vercel: preset.optional(),
        sentry: preset.optional(),
        doppler: preset.optional(),
        supabase: preset.optional(),
        fly: preset.extend({ org: z.string().min(1).max(128).optional() }).strict().optional(),
      })
      .strict()
      .optional(),
    http: z
      .array(httpProbe)
      .max(100)
      .superRefine((probes, ctx) => {
        const seen = new Set<string>(Object.keys(PRESETS));
        probes.forEach((p, i) => {
          if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${p.name}" is already a probe's name (the presets are ${Object.keys(PRESETS).join(', ')}): names must be unique` });
          seen.add(p.name);
        });
      })
      .optional(),
    /** probe_wake: where investigations are posted (a Slack channel id), and at most one per probe per `debounce` (default 30m). */
    wake: z.object({ slackChannel: z.string().min(1).max(64).optional(), debounce: duration.optional() }).strict().optional(),
  })
  .strict();

export type ProbesConfig = z.infer<typeof probesConfigSchema>;
export type HttpProbeConfig = z.infer<typeof httpProbe>;

export interface PresetSettings {
  readonly name: PresetName;
  readonly baseUrl: string;
  /** The variable the token is read from, and the token (null: the probe reports `unconfigured`). */
  readonly tokenEnv: string;
  readonly token: string | null;
  /** Fly's organisation slug (`org_slug`). */
  readonly org: string | null;
}

export interface ProbesSettings {
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly slowAfterMs: number;
  readonly history: number;
  readonly presets: readonly PresetSettings[];
  readonly http: readonly HttpProbeConfig[];
  readonly wakeChannel: string | null;
  readonly wakeDebounceMs: number;
}

/** Config over env over defaults. A base-URL variable that is not an http(s) URL is an error naming it. */
export function probesSettings(config: ProbesConfig | undefined, env: Readonly<Record<string, string | undefined>>): ProbesSettings | { error: string } {
  const presets: PresetSettings[] = [];
  for (const [name, spec] of Object.entries(PRESETS) as [PresetName, (typeof PRESETS)[PresetName]][]) {
    const own = config?.presets?.[name];
    if (own?.enabled === false) continue;
    const fromEnv = env[spec.urlEnv]?.trim();
    if (fromEnv && !httpUrl.safeParse(fromEnv).success) return { error: `${spec.urlEnv} is not an http(s) URL: "${fromEnv}"; set it to the ${spec.title} API's base URL (e.g. ${spec.defaultUrl}) or unset it` };
    const token = env[spec.tokenEnv]?.trim() || null;
    const org = name === 'fly' ? config?.presets?.fly?.org ?? (env.KORA_FLY_ORG?.trim() || 'personal') : null;
    presets.push({ name, baseUrl: (own?.baseUrl ?? (fromEnv || spec.defaultUrl)).replace(/\/+$/, ''), tokenEnv: spec.tokenEnv, token, org });
  }
  return {
    timeoutMs: parseDuration(config?.timeout ?? '10s'),
    concurrency: config?.concurrency ?? 4,
    slowAfterMs: parseDuration(config?.slowAfter ?? '5s'),
    history: config?.history ?? 288,
    presets,
    http: config?.http ?? [],
    wakeChannel: config?.wake?.slackChannel ?? null,
    wakeDebounceMs: parseDuration(config?.wake?.debounce ?? '30m'),
  };
}
