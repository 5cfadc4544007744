// The snapshot plugin's config (`plugins.config.snapshot`): when a snapshot is stale, how many
// are kept, and which routes the engine gets it as context on.
import { z } from '@kora/runtime';

/** Kora's own channels and jobs (the kora plugin's routes): the turns the snapshot is context for. */
export const DEFAULT_CONTEXT_ROUTES = ['slack_dm', 'email_inbound', 'mcp_tool', 'cli', 'alert_investigation', 'probe_investigation', 'scheduled_task'] as const;

export const snapshotConfigSchema = z
  .object({
    /** A snapshot older than this many ms is stale (default 15 min: three missed computes). */
    staleAfterMs: z.number().int().min(1000).optional(),
    /** Snapshots kept in the table, newest first (default 288: a day at the default period). */
    keep: z.number().int().min(1).max(100_000).optional(),
    /** Routes whose model calls get the snapshot as a system block; `[]` gives it to none. */
    contextRoutes: z.array(z.string().min(1)).optional(),
    /** The longest context block, in characters (default 2000). */
    contextChars: z.number().int().min(200).max(20_000).optional(),
  })
  .strict();

export type SnapshotConfig = z.infer<typeof snapshotConfigSchema>;

export interface SnapshotSettings {
  readonly staleAfterMs: number;
  readonly keep: number;
  readonly contextRoutes: ReadonlySet<string>;
  readonly contextChars: number;
}

export function snapshotSettings(config: SnapshotConfig | undefined): SnapshotSettings {
  return {
    staleAfterMs: config?.staleAfterMs ?? 15 * 60_000,
    keep: config?.keep ?? 288,
    contextRoutes: new Set(config?.contextRoutes ?? DEFAULT_CONTEXT_ROUTES),
    contextChars: config?.contextChars ?? 2000,
  };
}
