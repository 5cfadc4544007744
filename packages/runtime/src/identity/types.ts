// What an agent is: its persona (soul) and system prompt, claimed by a plugin or read from files.

export interface IdentitySpec {
  /** The persona, sent alongside the system prompt when non-blank. */
  readonly soul: string;
  /** Must be non-blank: a spec without one is no claim. */
  readonly systemPrompt: string;
  /** Free-form; `agent_name` is what status and `kora identity` show. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** What a provider is told when asked to claim the identity. */
export interface IdentityRequest {
  readonly deployEnv: string;
  readonly home: string;
}

export type IdentityProvider = (request: IdentityRequest) => IdentitySpec | null | undefined | Promise<IdentitySpec | null | undefined>;

export type IdentitySource = { readonly kind: 'plugin'; readonly pluginId: string } | { readonly kind: 'file'; readonly path: string };

export interface ResolvedIdentity {
  readonly spec: IdentitySpec;
  readonly source: IdentitySource;
  readonly agentName: string;
}
