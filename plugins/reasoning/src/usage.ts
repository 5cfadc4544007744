// One usage row per model call, answered or failed (DESIGN §7: `reasoning_usage`), with its
// cost from the price table. A model missing from the table costs 0 and is warned about once.
import { randomBytes } from 'node:crypto';
import type { Logger, LlmUsage, PluginContext, UsageLedger } from '@kora/runtime';
import type { ModelPrice } from './config.js';
import { conversationKey } from './history.js';
import { USAGE_TABLE } from './migrations.js';

type PluginDb = PluginContext['db'];

export type CallOutcome = 'ok' | 'error' | 'timeout' | 'aborted';

export type UsageRow = {
  readonly id: string;
  readonly at: number;
  readonly route: string;
  readonly conversation: string | null;
  readonly model: string;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_read_tokens: number;
  readonly cache_write_tokens: number;
  readonly cost_usd: number;
  readonly duration_ms: number;
  readonly outcome: CallOutcome;
  readonly error_code: string | null;
};

export interface CallRecord {
  readonly at: number;
  readonly route: string;
  readonly conversation: string | undefined;
  readonly model: string;
  readonly usage: LlmUsage | undefined;
  readonly durationMs: number;
  readonly outcome: CallOutcome;
  readonly errorCode: string | null;
}

/** USD for `usage` at `price` (per million tokens). */
export function costOf(usage: LlmUsage | undefined, price: ModelPrice | undefined): number {
  if (!usage || !price) return 0;
  const perToken =
    usage.input_tokens * price.input + usage.output_tokens * price.output + (usage.cache_read_input_tokens ?? 0) * price.cacheRead + (usage.cache_creation_input_tokens ?? 0) * price.cacheWrite;
  return perToken / 1_000_000;
}

export class UsageRecorder {
  readonly #db: PluginDb;
  readonly #prices: Readonly<Record<string, ModelPrice>>;
  readonly #log: Logger;
  readonly #unpriced = new Set<string>();
  #seq = 0;

  constructor(db: PluginDb, prices: Readonly<Record<string, ModelPrice>>, log: Logger) {
    this.#db = db;
    this.#prices = prices;
    this.#log = log;
  }

  /** Write the row; returns its cost. A failed write is logged, never fails the reply. */
  async record(call: CallRecord): Promise<number> {
    const price = this.#prices[call.model];
    if (!price && call.usage && !this.#unpriced.has(call.model)) {
      this.#unpriced.add(call.model);
      this.#log.warn({ model: call.model }, `model ${call.model} has no price in plugins.config.reasoning.prices: its usage rows cost 0`);
    }
    const cost = costOf(call.usage, price);
    const row: UsageRow = {
      id: this.#nextId(call.at),
      at: call.at,
      route: call.route,
      conversation: call.conversation === undefined ? null : conversationKey(call.conversation),
      model: call.model,
      input_tokens: call.usage?.input_tokens ?? 0,
      output_tokens: call.usage?.output_tokens ?? 0,
      cache_read_tokens: call.usage?.cache_read_input_tokens ?? 0,
      cache_write_tokens: call.usage?.cache_creation_input_tokens ?? 0,
      cost_usd: cost,
      duration_ms: Math.round(call.durationMs),
      outcome: call.outcome,
      error_code: call.errorCode,
    };
    try {
      await this.#db.insertInto(USAGE_TABLE).values(row).execute();
    } catch (err) {
      this.#log.error({ err, model: call.model, route: call.route }, 'the usage row of a model call could not be written');
    }
    return cost;
  }

  /** Sortable by time, then by call order within this process, then unique across processes. */
  #nextId(at: number): string {
    this.#seq = (this.#seq + 1) % 36 ** 6;
    return `${Math.max(0, at).toString(36).padStart(9, '0')}-${this.#seq.toString(36).padStart(6, '0')}-${randomBytes(6).toString('hex')}`;
  }
}

/** Read usage rows, oldest first (for `kora usage`, the tests and the bench). */
export async function readUsage(db: PluginDb, query: { since?: number; limit?: number } = {}): Promise<UsageRow[]> {
  let select = db.selectFrom(USAGE_TABLE).selectAll().orderBy('at').orderBy('id');
  if (query.since !== undefined) select = select.where('at', '>=', query.since);
  const rows = await select.limit(query.limit ?? 10_000).execute();
  return rows.map((r) => ({
    id: String(r.id),
    at: Number(r.at),
    route: String(r.route),
    conversation: r.conversation === null ? null : String(r.conversation),
    model: String(r.model),
    input_tokens: Number(r.input_tokens),
    output_tokens: Number(r.output_tokens),
    cache_read_tokens: Number(r.cache_read_tokens),
    cache_write_tokens: Number(r.cache_write_tokens),
    cost_usd: Number(r.cost_usd),
    duration_ms: Number(r.duration_ms),
    outcome: String(r.outcome) as CallOutcome,
    error_code: r.error_code === null ? null : String(r.error_code),
  }));
}

export const DAY_MS = 86_400_000;

/**
 * The `usage` service (read by `cost_telemetry`): rows with since ≤ at < until summed by model
 * and route, and by UTC day with `byDay`, in SQL so a month of rows is one short answer.
 */
export function usageLedger(db: PluginDb): UsageLedger {
  return {
    async totals({ since, until, byDay = false }) {
      const rows = await db
        .selectFrom(USAGE_TABLE)
        .select((eb) => [
          // Integer division of a bigint by an integer literal is the day number in SQLite and PostgreSQL
          // alike; a literal, not a parameter, so the grouped and the selected expression are the same text.
          (byDay ? eb('at', '/', eb.lit(DAY_MS)) : eb.lit(-1)).as('day'),
          'model',
          'route',
          eb.fn.countAll().as('calls'),
          eb.fn.sum(eb.case().when('outcome', '=', 'ok').then(eb.lit(0)).else(eb.lit(1)).end()).as('failed'),
          eb.fn.sum('input_tokens').as('input_tokens'),
          eb.fn.sum('output_tokens').as('output_tokens'),
          eb.fn.sum('cache_read_tokens').as('cache_read_tokens'),
          eb.fn.sum('cache_write_tokens').as('cache_write_tokens'),
          eb.fn.sum('cost_usd').as('cost_usd'),
        ])
        .where('at', '>=', since)
        .where('at', '<', until)
        .groupBy((eb) => (byDay ? [eb('at', '/', eb.lit(DAY_MS)), 'model', 'route'] : ['model', 'route']))
        .execute();
      return rows.map((r) => ({
        model: String(r.model),
        route: String(r.route),
        day: byDay ? new Date(Number(r.day) * DAY_MS).toISOString().slice(0, 10) : null,
        calls: Number(r.calls),
        failed: Number(r.failed),
        inputTokens: Number(r.input_tokens),
        outputTokens: Number(r.output_tokens),
        cacheReadTokens: Number(r.cache_read_tokens),
        cacheWriteTokens: Number(r.cache_write_tokens),
        costUsd: Number(r.cost_usd),
      }));
    },
  };
}
