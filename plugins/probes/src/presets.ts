// The service presets (DESIGN §8): for each service, one documented, read-only endpoint of its
// API that answers 200 only to a working token, called with `Authorization: Bearer <token>`.
// A 401/403 means the token is refused (the probe is `error`: the fix is the operator's), a 5xx
// or no answer means the service is `down`.
//
//   vercel    GET https://api.vercel.com/v2/user                       (the token's user)
//   sentry    GET https://sentry.io/api/0/organizations/               (organisations the token sees)
//   doppler   GET https://api.doppler.com/v3/me                        (the token's own info)
//   supabase  GET https://api.supabase.com/v1/projects                 (management API: projects)
//   fly       GET https://api.machines.dev/v1/apps?org_slug=<org>      (Machines API: the org's apps)

export interface PresetSpec {
  readonly title: string;
  readonly tokenEnv: string;
  /** Overrides the base URL (a proxy, a test server); `plugins.config.probes.presets.<name>.baseUrl` wins over it. */
  readonly urlEnv: string;
  readonly defaultUrl: string;
  path(org: string | null): string;
}

export const PRESETS = {
  vercel: { title: 'Vercel', tokenEnv: 'KORA_VERCEL_TOKEN', urlEnv: 'KORA_VERCEL_API_URL', defaultUrl: 'https://api.vercel.com', path: () => '/v2/user' },
  sentry: { title: 'Sentry', tokenEnv: 'KORA_SENTRY_TOKEN', urlEnv: 'KORA_SENTRY_API_URL', defaultUrl: 'https://sentry.io', path: () => '/api/0/organizations/' },
  doppler: { title: 'Doppler', tokenEnv: 'KORA_DOPPLER_TOKEN', urlEnv: 'KORA_DOPPLER_API_URL', defaultUrl: 'https://api.doppler.com', path: () => '/v3/me' },
  supabase: { title: 'Supabase', tokenEnv: 'KORA_SUPABASE_TOKEN', urlEnv: 'KORA_SUPABASE_API_URL', defaultUrl: 'https://api.supabase.com', path: () => '/v1/projects' },
  fly: { title: 'Fly', tokenEnv: 'KORA_FLY_TOKEN', urlEnv: 'KORA_FLY_API_URL', defaultUrl: 'https://api.machines.dev', path: (org) => `/v1/apps?org_slug=${encodeURIComponent(org ?? 'personal')}` },
} as const satisfies Record<string, PresetSpec>;

export type PresetName = keyof typeof PRESETS;
