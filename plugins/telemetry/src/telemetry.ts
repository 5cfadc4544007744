// The cost telemetry behind `cost.rung` and `cost.windows`: the engine's spend (the reasoning
// plugin's `usage` service) summed per window, against the budgets, as rungs that follow the
// spend both ways. A reset closes a window's period (decision 0121): the 24 h window's once per
// UTC day, the month's once per calendar month, each one row of `telemetry_resets` with what the
// period spent and the highest rung it reached (its peak, kept in `telemetry_state` till then).
import type { CostBreakdown, CostRung, CostRungName, CostWindow, CostWindows, Logger, PluginContext, UsageLedger, UsageTotals } from '@kora/runtime';
import type { TelemetrySettings } from './config.js';
import { DAILY_TABLE, RESETS_TABLE, STATE_TABLE } from './migrations.js';
import { DAY_MS, highest, periodOf, previousPeriod, rungFor, rungLevel, windowStart, WINDOWS, type WindowName } from './windows.js';

type PluginDb = PluginContext['db'];

/** The highest rung a window reached since its reset `period`. */
interface Peak {
  readonly period: string;
  readonly rung: CostRungName;
}

export interface TelemetryDeps {
  readonly db: PluginDb;
  /** The reasoning plugin's usage rows; undefined when that plugin is not enabled. */
  usage(): UsageLedger | undefined;
  readonly settings: TelemetrySettings;
  readonly clock: { now(): number };
  readonly log: Logger;
  audit(seam: string, details: Record<string, unknown>): Promise<void>;
}

export interface DayCost {
  readonly day: string;
  readonly model: string;
  readonly calls: number;
  readonly costUsd: number;
}

export interface ResetRecord {
  readonly window: string;
  readonly period: string;
  readonly at: number;
  readonly closedCalls: number;
  readonly closedCostUsd: number;
  readonly closedRung: string;
}

/** Days of `telemetry_daily` kept: a year and a bit, so last year's month still charts. */
const KEEP_DAYS = 400;

export const RUNG_SEAM = 'cost_telemetry.rung_changed';
export const RESET_SEAM = 'cost_telemetry.reset';

export class CostTelemetry implements CostRung, CostWindows {
  readonly #d: TelemetryDeps;
  #windows: CostWindow[];
  #rung: CostRungName = 'normal';
  #announced: CostRungName = 'normal';
  #peaks = new Map<WindowName, Peak>();
  #lastReset = new Map<WindowName, string>();
  #refreshing: Promise<void> | null = null;
  #again = false;
  #computedAt: number | null = null;

  constructor(deps: TelemetryDeps) {
    this.#d = deps;
    const now = deps.clock.now();
    this.#windows = WINDOWS.map((w) => ({ window: w, since: windowStart(w, now), calls: 0, costUsd: 0, budgetUsd: deps.settings.budgets[w], rung: 'normal', breakdown: [] }));
  }

  current(): CostRungName {
    return this.#rung;
  }

  windows(): readonly CostWindow[] {
    return this.#windows;
  }

  /** When the windows were last summed (epoch ms), null before. */
  computedAt(): number | null {
    return this.#computedAt;
  }

  /** The highest rung each window reached since its last reset. */
  peaks(): Record<string, CostRungName> {
    return Object.fromEntries(WINDOWS.map((w) => [w, this.#currentPeak(w)?.rung ?? 'normal']));
  }

  /** Read what the last run left: each window's last reset and peak, and the rung last announced. */
  async load(): Promise<void> {
    const { db } = this.#d;
    const resets = await db.selectFrom(RESETS_TABLE).select((eb) => ['window_name', eb.fn.max('period').as('period')]).groupBy('window_name').execute();
    for (const r of resets) if (isWindow(String(r.window_name))) this.#lastReset.set(String(r.window_name) as WindowName, String(r.period));
    const state = await db.selectFrom(STATE_TABLE).selectAll().execute();
    for (const row of state) {
      const key = String(row.key);
      try {
        const value = JSON.parse(String(row.value)) as unknown;
        if (key === 'rung' && typeof value === 'string' && rungLevel(value as CostRungName) >= 0) this.#announced = value as CostRungName;
        const w = key.startsWith('peak.') ? key.slice('peak.'.length) : '';
        if (isWindow(w) && isPeak(value)) this.#peaks.set(w, value);
      } catch {
        this.#d.log.warn({ key }, `telemetry_state row ${key} is not JSON; ignored (the rung is recomputed from the usage rows)`);
      }
    }
    this.#rung = this.#announced;
  }

  /** Recompute soon, without waiting (after a model call): runs coalesce, none overlaps another. */
  refreshSoon(): void {
    void this.refresh().catch((err: unknown) => this.#d.log.warn({ err }, 'cost telemetry: recomputing the windows after a model call failed; the next persist tries again'));
  }

  /** Sum every window now and set the rungs. Concurrent calls share one run (and one more after it). */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      try {
        do {
          this.#again = false;
          await this.#compute();
        } while (this.#again);
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  async #compute(): Promise<void> {
    const now = this.#d.clock.now();
    const usage = this.#d.usage();
    const windows: CostWindow[] = [];
    for (const w of WINDOWS) {
      const since = windowStart(w, now);
      const totals = usage ? await usage.totals({ since, until: now + 1 }) : [];
      const budget = this.#d.settings.budgets[w];
      const costUsd = sum(totals, 'costUsd');
      const rung = rungFor(costUsd, budget);
      await this.#raisePeak(w, rung);
      windows.push({ window: w, since, calls: sum(totals, 'calls'), costUsd, budgetUsd: budget, rung, breakdown: breakdown(totals) });
    }
    this.#windows = windows;
    this.#computedAt = now;
    this.#rung = highest(windows.map((w) => w.rung ?? 'normal'));
    if (this.#rung !== this.#announced) await this.#announce(this.#rung);
  }

  #currentPeak(w: WindowName): Peak | undefined {
    const peak = this.#peaks.get(w);
    return peak && peak.period === (this.#lastReset.get(w) ?? '') ? peak : undefined;
  }

  /** Keep `rung` as the window's peak since its last reset when it is higher. */
  async #raisePeak(w: WindowName, rung: CostRungName): Promise<void> {
    const held = this.#currentPeak(w);
    if (held && rungLevel(held.rung) >= rungLevel(rung)) return;
    const peak: Peak = { period: this.#lastReset.get(w) ?? '', rung };
    await this.#putState(`peak.${w}`, peak);
    this.#peaks.set(w, peak);
  }

  async #announce(rung: CostRungName): Promise<void> {
    const from = this.#announced;
    const windows = Object.fromEntries(this.#windows.map((w) => [w.window, { costUsd: round(w.costUsd), budgetUsd: w.budgetUsd, rung: w.rung }]));
    const log = rungLevel(rung) > rungLevel(from) ? this.#d.log.warn.bind(this.#d.log) : this.#d.log.info.bind(this.#d.log);
    log({ from, to: rung }, `cost rung ${from} -> ${rung}`);
    await this.#putState('rung', rung);
    this.#announced = rung;
    await this.#d.audit(RUNG_SEAM, { from, to: rung, windows });
  }

  /** `cost_telemetry.persist`: the windows, then today's and yesterday's spend per day, model and route. */
  async persist(): Promise<void> {
    await this.refresh();
    const now = this.#d.clock.now();
    const usage = this.#d.usage();
    if (!usage) return;
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    const rows = await usage.totals({ since: today - DAY_MS, until: now + 1, byDay: true });
    const { db } = this.#d;
    for (const r of rows) {
      const values = { calls: r.calls, failed: r.failed, input_tokens: r.inputTokens, output_tokens: r.outputTokens, cost_usd: r.costUsd, updated_at: now };
      await db
        .insertInto(DAILY_TABLE)
        .values({ day: r.day ?? '', model: r.model, route: r.route, ...values })
        .onConflict((oc) => oc.columns(['day', 'model', 'route']).doUpdateSet(values))
        .execute();
    }
    const oldest = new Date(today - KEEP_DAYS * DAY_MS).toISOString().slice(0, 10);
    await db.deleteFrom(DAILY_TABLE).where('day', '<', oldest).execute();
  }

  /**
   * The reset of `window` for the period `now` is in, unless it happened already (here, before a
   * restart, or on another gateway of the store): true when this call did it. A failure throws
   * before anything changed, so the next hourly check tries again.
   */
  async reset(window: WindowName): Promise<boolean> {
    const now = this.#d.clock.now();
    const period = periodOf(window, now);
    if (this.#lastReset.get(window) === period) return false;
    const closed = previousPeriod(window, period);
    const usage = this.#d.usage();
    const totals = usage ? await usage.totals(closed) : [];
    const closedRung = this.#currentPeak(window)?.rung ?? 'normal';
    const record = { window_name: window, period, at: now, closed_calls: sum(totals, 'calls'), closed_cost_usd: sum(totals, 'costUsd'), closed_rung: closedRung };
    const inserted = await this.#d.db
      .insertInto(RESETS_TABLE)
      .values(record)
      .onConflict((oc) => oc.columns(['window_name', 'period']).doNothing())
      .executeTakeFirst();
    this.#lastReset.set(window, period);
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
    this.#d.log.info({ window, period }, `cost telemetry: ${window} reset for ${period} (closed at ${round(record.closed_cost_usd)} USD, rung ${closedRung})`);
    await this.#d.audit(RESET_SEAM, { window, period, closedCalls: record.closed_calls, closedCostUsd: round(record.closed_cost_usd), closedRung });
    await this.refresh();
    return true;
  }

  /**
   * Spend per UTC day and model over the last `days` days (today included), oldest first: the
   * persisted sums, with yesterday and today read live (persist runs every 5 min; the chart and
   * `kora costs` should not lag the windows).
   */
  async days(days: number): Promise<DayCost[]> {
    const now = this.#d.clock.now();
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    const firstDay = today - (days - 1) * DAY_MS;
    const usage = this.#d.usage();
    const liveFrom = Math.max(firstDay, today - DAY_MS);
    const liveDays = new Set<string>();
    const byKey = new Map<string, { day: string; model: string; calls: number; costUsd: number }>();
    const add = (day: string, model: string, calls: number, costUsd: number) => {
      const key = `${day}\u0000${model}`;
      const row = byKey.get(key) ?? { day, model, calls: 0, costUsd: 0 };
      byKey.set(key, { day, model, calls: row.calls + calls, costUsd: row.costUsd + costUsd });
    };
    if (usage) {
      for (let d = liveFrom; d <= today; d += DAY_MS) liveDays.add(new Date(d).toISOString().slice(0, 10));
      for (const r of await usage.totals({ since: liveFrom, until: now + 1, byDay: true })) add(r.day ?? '', r.model, r.calls, r.costUsd);
    }
    const rows = await this.#d.db
      .selectFrom(DAILY_TABLE)
      .select((eb) => ['day', 'model', eb.fn.sum('calls').as('calls'), eb.fn.sum('cost_usd').as('cost_usd')])
      .where('day', '>=', new Date(firstDay).toISOString().slice(0, 10))
      .groupBy(['day', 'model'])
      .execute();
    for (const r of rows) if (!liveDays.has(String(r.day))) add(String(r.day), String(r.model), Number(r.calls), Number(r.cost_usd));
    return [...byKey.values()].sort((a, b) => a.day.localeCompare(b.day) || a.model.localeCompare(b.model));
  }

  /** The most recent resets, newest first; resets of the same time by window (the day's before the month's), on either database. */
  async resets(limit = 10): Promise<ResetRecord[]> {
    const rows = await this.#d.db.selectFrom(RESETS_TABLE).selectAll().orderBy('at', 'desc').orderBy('window_name', 'desc').orderBy('period', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      window: String(r.window_name),
      period: String(r.period),
      at: Number(r.at),
      closedCalls: Number(r.closed_calls),
      closedCostUsd: Number(r.closed_cost_usd),
      closedRung: String(r.closed_rung),
    }));
  }

  async #putState(key: string, value: unknown): Promise<void> {
    const row = { value: JSON.stringify(value), updated_at: this.#d.clock.now() };
    await this.#d.db
      .insertInto(STATE_TABLE)
      .values({ key, ...row })
      .onConflict((oc) => oc.column('key').doUpdateSet(row))
      .execute();
  }
}

function isWindow(name: string): name is WindowName {
  return (WINDOWS as readonly string[]).includes(name);
}

function isPeak(value: unknown): value is Peak {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.period === 'string' && typeof v.rung === 'string' && rungLevel(v.rung as CostRungName) >= 0;
}

function sum(rows: readonly UsageTotals[], key: 'calls' | 'costUsd'): number {
  return rows.reduce((t, r) => t + r[key], 0);
}

function breakdown(rows: readonly UsageTotals[]): CostBreakdown[] {
  return rows.map((r) => ({ model: r.model, route: r.route, calls: r.calls, costUsd: r.costUsd })).sort((a, b) => b.costUsd - a.costUsd || a.model.localeCompare(b.model) || a.route.localeCompare(b.route));
}

export function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
