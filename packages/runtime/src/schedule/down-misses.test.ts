// Slots missed while the gateway was down: under `skip` and a short period they are routine, so
// one info line per restart sums them; run-once catch-ups and long periods keep their warning.
import { afterEach, describe, expect, it } from 'vitest';
import { at, harness, recorder, task, HOUR, MINUTE, type Harness } from './__fixtures__/harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

async function ranBefore(name: string, slot: string) {
  const s = at(slot);
  await h.store.ledger.claim({ task: name, daemon: 'd1', slot: s, startedAt: s, owner: 'gw-before' });
  await h.store.ledger.complete(name, s, { status: 'ok', finishedAt: s + 10, durationMs: 10, error: null });
}

const WARN = 40;
const INFO = 30;

describe('slots missed while the gateway was down', () => {
  it('under skip with short periods: no warning per task, one info line naming each task and its count, rows still written', async () => {
    h = await harness({ start: '2026-01-01T09:37:00Z', logLevel: 'info' });
    await ranBefore('five', '2026-01-01T09:00:00Z');
    await ranBefore('ten', '2026-01-01T09:00:00Z');
    await ranBefore('one', '2026-01-01T09:30:00Z');
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('five', { every: 5 * MINUTE, missed: 'skip', run: r.run }), task('ten', { every: 10 * MINUTE, missed: 'skip', run: r.run })]);
    await h.scheduler.add('d2', [task('one', { every: MINUTE, missed: 'skip', run: r.run })]);
    h.scheduler.summarizeDownMisses();
    h.scheduler.summarizeDownMisses(); // once per restart: nothing left to say
    expect(h.logs.filter((l) => l.level >= WARN)).toEqual([]);
    const info = h.logs.filter((l) => l.level === INFO && l.msg.includes('while the gateway was down'));
    expect(info.map((l) => l.msg)).toEqual(['scheduler: 17 slot(s) went by while the gateway was down and were skipped (missed: skip): five 7, ten 3, one 7']);
    expect(info[0]).toMatchObject({ missed: { five: 7, ten: 3, one: 7 } });
    expect((await h.rows('five')).map((row) => [row.status, row.count ?? null])).toEqual([
      ['ok', null],
      ['missed', 7],
    ]);
  });

  it('under run-once: the catch-up stays a warning, and is not in the summary', async () => {
    h = await harness({ start: '2026-01-01T09:37:00Z', logLevel: 'info' });
    await ranBefore('five', '2026-01-01T09:00:00Z');
    await h.scheduler.add('d1', [task('five', { every: 5 * MINUTE, missed: 'run-once', run: recorder(h.clock).run })]);
    h.scheduler.summarizeDownMisses();
    expect(h.logs.filter((l) => l.level === WARN).map((l) => l.msg)).toEqual([
      'task five: 6 slots missed while the gateway was down; slot 2026-01-01T09:35:00.000Z runs late instead (missed: run-once)',
    ]);
    expect(h.logs.some((l) => l.msg.includes('were skipped (missed: skip)'))).toBe(false);
  });

  it('a period of an hour or more missing slots under skip stays a warning', async () => {
    h = await harness({ start: '2026-01-03T09:37:00Z', logLevel: 'info' });
    await ranBefore('daily', '2026-01-01T00:00:00Z');
    await h.scheduler.add('d1', [task('daily', { every: 24 * HOUR, missed: 'skip', run: recorder(h.clock).run })]);
    h.scheduler.summarizeDownMisses();
    expect(h.logs.filter((l) => l.level === WARN).map((l) => l.msg)).toEqual(['task daily: 2 slots missed while the gateway was down']);
    expect(h.logs.some((l) => l.msg.includes('were skipped (missed: skip)'))).toBe(false);
  });
});
