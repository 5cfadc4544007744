// Contributions (DESIGN §2): what a plugin adds, at register time, to an extension point
// another plugin's daemon owns — admin routes, public routes, UI pages, webhook sources. The
// owning daemon reads them when it starts. They vanish with a plugin that fails or is rolled back.
import { PluginError } from '../errors.js';

/**
 * Extension points, typed by declaration merging:
 * `declare module '@kora/runtime' { interface ContributionMap { 'http.admin': AdminRoute } }`
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ContributionMap {}

export type ContributionPoint = keyof ContributionMap | (string & {});
export type ContributionValue<P> = P extends keyof ContributionMap ? ContributionMap[P] : unknown;

export interface Contribution<P extends ContributionPoint = ContributionPoint> {
  readonly pluginId: string;
  readonly point: P;
  readonly value: ContributionValue<P>;
}

/** What a daemon sees: the contributions to a point, in plugin load order. */
export interface Contributions {
  list<P extends ContributionPoint>(point: P): readonly Contribution<P>[];
}

const POINT_RE = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;

export class ContributionRegistry implements Contributions {
  #byPoint = new Map<string, Contribution[]>();

  add<P extends ContributionPoint>(pluginId: string, point: P, value: ContributionValue<P>): void {
    if (typeof point !== 'string' || !POINT_RE.test(point)) {
      throw new PluginError('KORA_ERR_PLUGIN_BAD_REGISTRATION', `Plugin "${pluginId}" contributed to ${JSON.stringify(point)}, which is not a point name (dotted lower-case words, e.g. "http.admin")`, {
        pluginId,
      });
    }
    if (value === undefined || value === null) {
      throw new PluginError('KORA_ERR_PLUGIN_BAD_REGISTRATION', `Plugin "${pluginId}" contributed nothing (${String(value)}) to "${point}"`, { pluginId, point });
    }
    const list = this.#byPoint.get(point) ?? [];
    list.push(Object.freeze({ pluginId, point, value }));
    this.#byPoint.set(point, list);
  }

  list<P extends ContributionPoint>(point: P): readonly Contribution<P>[] {
    return (this.#byPoint.get(point) ?? []) as unknown as readonly Contribution<P>[];
  }

  points(): string[] {
    return [...this.#byPoint.keys()];
  }

  removePlugin(pluginId: string): void {
    for (const [point, list] of this.#byPoint) {
      const kept = list.filter((c) => c.pluginId !== pluginId);
      if (kept.length > 0) this.#byPoint.set(point, kept);
      else this.#byPoint.delete(point);
    }
  }
}
