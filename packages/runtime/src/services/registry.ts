// A per-gateway registry of named singletons (the LLM engine, the Slack client) that daemons
// provide and consume. Typed by declaration merging on `ServiceMap`.
import { ServiceError } from '../errors.js';

/**
 * Plugins declare what they provide:
 * `declare module '@kora/runtime' { interface ServiceMap { llm: LlmEngine } }`
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ServiceMap {}

type Name = keyof ServiceMap | (string & {});
type ValueOf<K> = K extends keyof ServiceMap ? ServiceMap[K] : unknown;

/**
 * Who provided a service. Plugins (at register) and daemons (while running) are keyed apart,
 * so stopping daemon `web` never withdraws what plugin `web` provided.
 */
export type ServiceProvider = `plugin:${string}` | `daemon:${string}`;

export function pluginProvider(pluginId: string): ServiceProvider {
  return `plugin:${pluginId}`;
}

export function daemonProvider(daemon: string): ServiceProvider {
  return `daemon:${daemon}`;
}

interface Provision {
  value: unknown;
  provider: ServiceProvider;
}

/** What daemons and plugins see: the registry, with their own name recorded as the provider. */
export interface Services {
  provide<K extends Name>(name: K, value: ValueOf<K>): void;
  get<K extends Name>(name: K): ValueOf<K>;
  tryGet<K extends Name>(name: K): ValueOf<K> | undefined;
  has(name: Name): boolean;
  names(): string[];
}

export class ServiceRegistry {
  #entries = new Map<string, Provision>();

  /** Provide `name`. `provider` is recorded so clashes name both sides and `withdraw` can undo it. */
  provide<K extends Name>(name: K, value: ValueOf<K>, provider: ServiceProvider): void {
    const existing = this.#entries.get(name);
    if (existing) {
      throw new ServiceError('KORA_ERR_SERVICE_DUPLICATE', `Service "${name}" is already provided by ${existing.provider}; ${provider} cannot provide it again`, {
        service: name,
        providers: [existing.provider, provider],
      });
    }
    this.#entries.set(name, { value, provider });
  }

  get<K extends Name>(name: K): ValueOf<K> {
    const entry = this.#entries.get(name);
    if (!entry) {
      const known = [...this.#entries.keys()];
      throw new ServiceError(
        'KORA_ERR_SERVICE_MISSING',
        `No service "${name}" is provided${known.length ? ` (provided: ${known.join(', ')})` : ' (none is provided yet)'}; is the daemon that provides it enabled and running?`,
        { service: name, known },
      );
    }
    return entry.value as ValueOf<K>;
  }

  tryGet<K extends Name>(name: K): ValueOf<K> | undefined {
    return this.#entries.get(name)?.value as ValueOf<K> | undefined;
  }

  has(name: Name): boolean {
    return this.#entries.has(name);
  }

  /** Remove everything `provider` provided (its daemon stopped or failed, its plugin was rolled back). */
  withdraw(provider: ServiceProvider): void {
    for (const [name, entry] of this.#entries) if (entry.provider === provider) this.#entries.delete(name);
  }

  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** A view that records `provider` on everything provided through it, so `withdraw(provider)` can undo it. */
  scoped(provider: ServiceProvider): Services {
    return {
      provide: (name, value) => this.provide(name, value, provider),
      get: (name) => this.get(name),
      tryGet: (name) => this.tryGet(name),
      has: (name) => this.has(name),
      names: () => this.names(),
    };
  }
}
