// Shared by the telemetry tests: the real reasoning plugin (its `usage` service over its table)
// and the telemetry plugin in the harness, on a manual clock, with usage rows written straight
// into `reasoning_usage` as the engine writes them.
import { randomUUID } from 'node:crypto';
import reasoning from '@kora/plugin-reasoning';
import { createPluginHarness, ManualClock, type HarnessedPlugin, type PluginHarness } from '@kora/runtime/testing';
import { afterEach } from 'vitest';
import telemetry from './index.js';

export const T0 = Date.UTC(2026, 11, 15, 10, 0); // 2026-12-15 10:00 UTC

export interface Rig {
  readonly harness: PluginHarness;
  readonly clock: ManualClock;
  /** A usage row at `at` (default now) costing `costUsd`. */
  call(costUsd: number, options?: { at?: number; model?: string; route?: string }): Promise<void>;
}

export interface RigOptions {
  config?: Record<string, unknown>;
  clock?: ManualClock;
  home?: string;
  storeUrl?: string;
  plugins?: HarnessedPlugin[];
  /** Leave the reasoning plugin out (no `usage` service). */
  noReasoning?: boolean;
}

export function rigs(): (options?: RigOptions) => Promise<Rig> {
  const open: PluginHarness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });
  return async (options = {}) => {
    const clock = options.clock ?? new ManualClock(T0);
    const plugins = [...(options.noReasoning ? [] : [reasoning]), ...(options.plugins ?? []), telemetry] as HarnessedPlugin[];
    const harness = await createPluginHarness(plugins, {
      clock,
      config: { telemetry: options.config },
      ...(options.home ? { home: options.home } : {}),
      ...(options.storeUrl ? { storeUrl: options.storeUrl } : {}),
    });
    open.push(harness);
    const db = harness.store.pluginDb('reasoning');
    return {
      harness,
      clock,
      async call(costUsd, o = {}) {
        await db
          .insertInto('reasoning_usage')
          .values({
            id: randomUUID(),
            at: o.at ?? clock.now(),
            route: o.route ?? 'slack_dm',
            conversation: null,
            model: o.model ?? 'claude-haiku-4-5',
            input_tokens: 1000,
            output_tokens: 100,
            cache_read_tokens: 0,
            cache_write_tokens: 0,
            cost_usd: costUsd,
            duration_ms: 10,
            outcome: 'ok',
            error_code: null,
          })
          .execute();
      },
    };
  };
}
