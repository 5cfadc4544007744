// What the `/mcp` route and the `mcp` daemon share: the callers while the daemon runs, and the
// protocol endpoint, built from the SDK on the first request that needs it.
import type { CallerTable } from './callers.js';
import type { Endpoint, EndpointDeps } from './endpoint.js';

export class McpService {
  readonly #deps: EndpointDeps;
  #callers: CallerTable | null = null;
  #endpoint: Promise<Endpoint> | null = null;

  constructor(deps: EndpointDeps) {
    this.#deps = deps;
  }

  /** The callers, or null while the daemon is not running. */
  callers(): CallerTable | null {
    return this.#callers;
  }

  /** The endpoint, imported on first use; null while the daemon is not running. */
  endpoint(): Promise<Endpoint> | null {
    if (!this.#callers) return null;
    this.#endpoint ??= import('./endpoint.js').then(
      (m) => m.createEndpoint(this.#deps),
      (err: unknown) => {
        // Not cached: the next request tries again, and logs again.
        this.#endpoint = null;
        throw err;
      },
    );
    return this.#endpoint;
  }

  open(callers: CallerTable): void {
    this.#callers = callers;
  }

  /** Refuse new requests (503) and close the ones still open. */
  async close(): Promise<void> {
    this.#callers = null;
    const endpoint = this.#endpoint;
    this.#endpoint = null;
    if (endpoint) await endpoint.then((e) => e.closeAll(), () => undefined);
  }
}
