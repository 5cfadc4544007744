// The dedup rule, by key: a condition that starts firing opens its alert and is said once; while
// it keeps firing it is said again only when its fingerprint changes (the rung moved, a new dead
// letter) or the re-notify interval has passed since it was last said; when it stops firing (and
// its source was read) the alert resolves and that is said once. Each message is enqueued on the
// inbox topic `alerts.dispatch` *before* the alert's row records it as said: a failed enqueue is
// tried again on the next tick, a failed delivery is retried by the inbox — never silent, and
// never the same message twice from one transition.
import type { Alerts, OpenAlert, PluginContext } from '@kora/runtime';
import type { Evaluation } from './sources.js';
import { SOURCE_OF_KEY } from './sources.js';
import { addEvent, readAlerts, writeAlert, type AlertRow, type EventKind, type Severity } from './store.js';

export const DISPATCH_TOPIC = 'alerts.dispatch';

export interface AlertMessage {
  readonly type: 'alert';
  readonly key: string;
  readonly kind: EventKind;
  readonly severity: Severity;
  readonly title: string;
  readonly detail: string | null;
  readonly at: number;
  readonly openedAt: number;
}

export interface DigestMessage {
  readonly type: 'digest';
  readonly at: number;
  readonly title: string;
  readonly text: string;
}

export type DispatchPayload = AlertMessage | DigestMessage;

export interface Transition {
  readonly row: AlertRow;
  readonly exists: boolean;
  readonly message: AlertMessage;
}

/** The alerts as the daemon last wrote them; the `alerts` service reads it. */
export class AlertBook implements Alerts {
  #rows = new Map<string, AlertRow>();

  async load(db: PluginContext['db']): Promise<void> {
    this.#rows = await readAlerts(db);
  }

  open(): readonly OpenAlert[] {
    return this.rows()
      .filter((r) => r.state === 'open')
      .map((r) => ({ key: r.key, severity: r.severity, title: r.title, since: r.openedAt }));
  }

  rows(): AlertRow[] {
    return [...this.#rows.values()].sort((a, b) => b.openedAt - a.openedAt || a.key.localeCompare(b.key));
  }

  get(key: string): AlertRow | undefined {
    return this.#rows.get(key);
  }

  put(row: AlertRow): void {
    this.#rows.set(row.key, row);
  }

  /** What to say now, given what fires and what the book says was said. */
  transitions(evaluation: Evaluation, now: number, renotifyAfterMs: number): Transition[] {
    const out: Transition[] = [];
    const firingKeys = new Set<string>();
    for (const c of evaluation.firing) {
      firingKeys.add(c.key);
      const row = this.#rows.get(c.key);
      let kind: EventKind | null;
      if (!row || row.state === 'resolved') kind = 'opened';
      else if (row.fingerprint !== c.fingerprint) kind = 'changed';
      else if (now - row.lastNotifiedAt >= renotifyAfterMs) kind = 'reminder';
      else kind = null;
      if (kind === null) continue;
      const openedAt = kind === 'opened' ? now : row!.openedAt;
      const next: AlertRow = {
        key: c.key,
        severity: c.severity,
        title: c.title,
        detail: c.detail,
        fingerprint: c.fingerprint,
        state: 'open',
        openedAt,
        lastNotifiedAt: now,
        resolvedAt: null,
        notified: (kind === 'opened' ? 0 : row!.notified) + 1,
      };
      out.push({ row: next, exists: row !== undefined, message: { type: 'alert', key: c.key, kind, severity: c.severity, title: c.title, detail: c.detail, at: now, openedAt } });
    }
    for (const row of this.#rows.values()) {
      if (row.state !== 'open' || firingKeys.has(row.key)) continue;
      const source = SOURCE_OF_KEY(row.key);
      if (source === null || !evaluation.checked.has(source)) continue;
      const title = `Resolved: ${row.title}`;
      const next: AlertRow = { ...row, state: 'resolved', resolvedAt: now, lastNotifiedAt: now, notified: row.notified + 1 };
      out.push({ row: next, exists: true, message: { type: 'alert', key: row.key, kind: 'resolved', severity: 'info', title, detail: `open since ${new Date(row.openedAt).toISOString()}`, at: now, openedAt: row.openedAt } });
    }
    return out;
  }
}

/** The inbox key of one message: one transition of one alert, so an enqueue retried is kept once. */
export function dispatchKey(message: AlertMessage): string {
  return `${message.key}|${message.kind}|${message.at}`.slice(0, 1024);
}

/** Enqueue, then record; stops at the first failure (the rest is tried again next tick). */
export async function applyTransitions(ctx: PluginContext<unknown>, book: AlertBook, transitions: readonly Transition[], deliver: boolean): Promise<{ said: number; failed: string | null }> {
  let said = 0;
  for (const t of transitions) {
    if (deliver) {
      try {
        await ctx.inbox.enqueue({ topic: DISPATCH_TOPIC, key: dispatchKey(t.message), payload: t.message });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        await ctx.audit('alerts.dispatch_failed', { key: t.message.key, kind: t.message.kind, stage: 'enqueue', error: error.slice(0, 500) }).catch(() => {});
        return { said, failed: error };
      }
    }
    await writeAlert(ctx.db, t.row, t.exists);
    book.put(t.row);
    await addEvent(ctx.db, { at: t.message.at, key: t.message.key, kind: t.message.kind, severity: t.message.severity, title: t.message.title, detail: t.message.detail });
    said++;
  }
  return { said, failed: null };
}
