// A run an operator asks for (admin API, MCP): under the same rules as a scheduled one, and
// recorded as manual, without confusing the missed-slot judgement.
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskRunContext } from '../daemons/types.js';
import { StoreError } from '../errors.js';
import { at, harness, iso, recorder, sleep, task, SECOND, MINUTE, type Harness } from './__fixtures__/harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('manual runs', () => {
  it('runs a task now, outside its schedule: its slot is the moment it was asked for and its row says manual', async () => {
    h = await harness({ start: '2026-01-01T10:00:05Z' });
    const seen: TaskRunContext['trigger'][] = [];
    const r = recorder(h.clock, (context) => void seen.push(context.trigger));
    await h.scheduler.add('d1', [task('report', { every: 10 * MINUTE, run: r.run })]);
    const run = await h.scheduler.runNow('report');
    expect(run).toMatchObject({ task: 'report', daemon: 'd1', slot: at('2026-01-01T10:00:05Z') });
    expect(await run.done).toMatchObject({ task: 'report', status: 'ok', trigger: 'manual', slot: at('2026-01-01T10:00:05Z'), error: null, owner: 'gw-test' });
    const rows = await h.rows('report');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'ok', trigger: 'manual' });
    // The schedule goes on as before: its next slot is the schedule's, and its row is not manual.
    await h.clock.advanceTo(at('2026-01-01T10:10:00Z'));
    expect(seen).toEqual(['manual', 'schedule']);
    expect((await h.rows('report')).map((row) => [iso(row.slot).slice(11, 19), row.trigger ?? 'schedule'])).toEqual([
      ['10:00:05', 'manual'],
      ['10:10:00', 'schedule'],
    ]);
    expect(h.scheduler.status()[0]).toMatchObject({ runs: 2 });
  });

  it('never runs a task twice at once: refused while a run goes on, and a slot due during a manual run is skipped_overlap', async () => {
    h = await harness({ start: '2026-01-01T10:00:05Z' });
    const r = recorder(h.clock, () => sleep(h.clock, 8 * SECOND));
    await h.scheduler.add('d1', [task('slow', { every: 10 * SECOND, timeoutMs: MINUTE, run: r.run })]);
    const run = await h.scheduler.runNow('slow');
    await expect(h.scheduler.runNow('slow')).rejects.toMatchObject({ code: 'KORA_ERR_TASK_RUNNING' });
    await h.clock.advanceTo(at('2026-01-01T10:00:13Z'));
    expect((await run.done).status).toBe('ok');
    expect((await h.rows('slow')).map((row) => [iso(row.slot).slice(11, 19), row.status])).toEqual([
      ['10:00:05', 'ok'],
      ['10:00:10', 'skipped_overlap'],
    ]);
    expect(r.calls).toHaveLength(1);
  });

  it('refuses a task no daemon schedules, and one whose daemon was removed', async () => {
    h = await harness();
    await expect(h.scheduler.runNow('nope')).rejects.toMatchObject({ code: 'KORA_ERR_TASK_UNKNOWN', message: expect.stringContaining('kora status') });
    await h.scheduler.add('d1', [task('t', { every: MINUTE, run: () => {} })]);
    await h.scheduler.remove('d1', 0);
    await expect(h.scheduler.runNow('t')).rejects.toMatchObject({ code: 'KORA_ERR_TASK_UNKNOWN' });
  });

  it('records a failing or timed-out manual run like a scheduled one', async () => {
    h = await harness();
    await h.scheduler.add('d1', [
      task('boom', { every: 10 * MINUTE, run: () => Promise.reject(new Error('no disk')) }),
      task('hang', { every: 10 * MINUTE, timeoutMs: 5 * SECOND, run: (context) => sleep(h.clock, MINUTE, context.signal) }),
    ]);
    expect(await (await h.scheduler.runNow('boom')).done).toMatchObject({ status: 'failed', error: 'no disk', trigger: 'manual' });
    const hang = await h.scheduler.runNow('hang');
    await h.clock.advance(6 * SECOND);
    expect(await hang.done).toMatchObject({ status: 'timeout', trigger: 'manual' });
  });

  it('is refused once the scheduler stops, and a run still going at the stop is interrupted', async () => {
    h = await harness();
    await h.scheduler.add('d1', [task('long', { every: 10 * MINUTE, timeoutMs: 5 * MINUTE, run: (context) => sleep(h.clock, MINUTE, context.signal) })]);
    const run = await h.scheduler.runNow('long');
    await h.scheduler.stop(0);
    expect(await run.done).toMatchObject({ status: 'interrupted', trigger: 'manual' });
    await expect(h.scheduler.runNow('long')).rejects.toMatchObject({ code: 'KORA_ERR_GATEWAY_STOPPING' });
  });

  it('rejects with the store\'s own coded fault when the ledger cannot claim the run, and runs nothing', async () => {
    h = await harness({
      wrapLedger: (real) =>
        new Proxy(real, {
          get(target, prop, receiver) {
            if (prop === 'claim') return () => Promise.reject(new StoreError('the database is locked', {}, { code: 'KORA_ERR_STORE_BUSY' }));
            const value: unknown = Reflect.get(target, prop, receiver);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    });
    const r = recorder(h.clock);
    await h.scheduler.add('d1', [task('t', { every: MINUTE, run: r.run })]);
    await expect(h.scheduler.runNow('t')).rejects.toMatchObject({ code: 'KORA_ERR_STORE_BUSY' });
    expect(r.calls).toEqual([]);
  });
});

