import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusFileError } from '../errors.js';
import { createSecretScrubber } from '../log/scrubber.js';
import { flushMicrotasks, ManualClock } from '../time/clock.js';
import { statusFilePath } from './status-file.js';
import { StatusWriter, type StatusWriterOptions } from './status-writer.js';
import type { GatewayStatus } from './status.js';
import { sampleStatus } from './status.test-helper.js';

const dirs: string[] = [];
const writers: StatusWriter[] = [];
afterEach(() => {
  for (const w of writers.splice(0)) w.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(overrides: Partial<StatusWriterOptions> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'kora-writer-'));
  dirs.push(home);
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const path = statusFilePath(home);
  const state = { status: sampleStatus(), builds: 0, errors: [] as StatusFileError[], recovered: 0 };
  const writer = new StatusWriter({
    path,
    clock,
    status: () => {
      state.builds++;
      return { ...state.status, updatedAt: new Date(clock.now()).toISOString() };
    },
    scrubber: createSecretScrubber(),
    onError: (err) => state.errors.push(err),
    onRecovered: () => state.recovered++,
    ...overrides,
  });
  writers.push(writer);
  const read = () => JSON.parse(readFileSync(path, 'utf8')) as GatewayStatus;
  return { home, clock, path, state, writer, read };
}

describe('status writer', () => {
  it('writes a burst of changes in one event-loop turn once, after the turn', async () => {
    const { writer, state, path } = setup();
    writer.changed();
    writer.changed();
    writer.changed();
    expect(existsSync(path)).toBe(false);
    await flushMicrotasks();
    expect(state.builds).toBe(1);
    expect(existsSync(path)).toBe(true);
  });

  it("defers through the clock's setImmediate, not the global one", async () => {
    const queued: (() => void)[] = [];
    const clock = new ManualClock();
    const { writer, state } = setup({ clock: Object.assign(clock, { setImmediate: (fn: () => void) => void queued.push(fn) }) });
    writer.changed();
    await flushMicrotasks();
    expect(state.builds).toBe(0);
    for (const fn of queued.splice(0)) fn();
    expect(state.builds).toBe(1);
  });

  it('writes the first task change at once, then at most one write a second', async () => {
    const { writer, state, clock } = setup();
    writer.taskChanged();
    await flushMicrotasks();
    expect(state.builds).toBe(1);
    for (let i = 0; i < 50; i++) {
      writer.taskChanged();
      await clock.advance(10);
    }
    expect(state.builds).toBe(1);
    await clock.advance(500);
    expect(state.builds).toBe(2);
    await clock.advance(5_000 - 1_000 - 1);
    expect(state.builds).toBe(2);
  });

  it('writes a state change at once even while task writes are held back', async () => {
    const { writer, state, clock } = setup();
    writer.taskChanged();
    await flushMicrotasks();
    writer.taskChanged();
    writer.changed();
    await flushMicrotasks();
    expect(state.builds).toBe(2);
    await clock.advance(1_000);
    expect(state.builds).toBe(3);
  });

  it('heartbeats every period, stamping when and how often, and stops when closed', async () => {
    const { writer, state, clock, read } = setup({ heartbeatEveryMs: 5_000 });
    writer.start();
    await flushMicrotasks();
    expect(read()).toMatchObject({ heartbeatAt: '2026-01-01T00:00:00.000Z', heartbeatEveryMs: 5_000 });
    await clock.advance(15_000);
    expect(state.builds).toBe(4);
    expect(read().heartbeatAt).toBe('2026-01-01T00:00:15.000Z');
    expect(writer.heartbeat).toEqual({ at: '2026-01-01T00:00:15.000Z', everyMs: 5_000 });
    writer.close();
    await clock.advance(60_000);
    expect(state.builds).toBe(4);
    expect(clock.pending).toBe(0);
  });

  it('writes the final status synchronously with the exit record, and nothing after it', async () => {
    const { writer, state, clock, read } = setup();
    writer.start();
    writer.changed();
    state.status = { ...state.status, state: 'stopped', exitCode: 130 };
    const exit = { code: 130, reason: 'second SIGTERM while stopping', at: new Date(clock.now()).toISOString(), forced: true, by: 'signal SIGTERM' };
    writer.writeFinal(exit);
    expect(read()).toMatchObject({ state: 'stopped', exit });
    state.status = { ...state.status, state: 'running' };
    writer.changed();
    writer.taskChanged();
    await clock.advance(30_000);
    expect(read().state).toBe('stopped');
    expect(state.builds).toBe(1);
  });

  it('writes the file mode 0600', async () => {
    const { writer, path } = setup();
    writer.changed();
    await flushMicrotasks();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('scrubs secrets out of every field before writing', async () => {
    const scrubber = createSecretScrubber({ env: { KORA_TEST_TOKEN: 'tok-planted-123' } });
    const { writer, state, path } = setup({ scrubber });
    state.status = { ...state.status, problems: ['daemon x failed: auth tok-planted-123 refused'], daemons: state.status.daemons.map((d) => ({ ...d, error: 'Bearer abcdefgh12345678 rejected' })) };
    writer.changed();
    await flushMicrotasks();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('tok-planted-123');
    expect(text).not.toContain('abcdefgh12345678');
    expect(text).toContain('daemon x failed: auth [redacted] refused');
  });

  it('reports a failing write once per run of failures, leaves no temp file, and says when it recovers', async () => {
    const { writer, state, home } = setup();
    writeFileSync(join(home, 'run'), 'a file where the folder should be');
    writer.start();
    await flushMicrotasks();
    writer.changed();
    await flushMicrotasks();
    expect(state.errors).toHaveLength(1);
    expect(state.errors[0]).toMatchObject({ code: 'KORA_ERR_STATUS_WRITE', path: join(home, 'run', 'status.json') });
    expect(writer.failing).toBe(true);
    rmSync(join(home, 'run'));
    mkdirSync(join(home, 'run'));
    writer.changed();
    await flushMicrotasks();
    expect(state.recovered).toBe(1);
    expect(writer.failing).toBe(false);
    expect(readdirSync(join(home, 'run'))).toEqual(['status.json']);
  });

  it('reports a status that cannot be built as a write failure too', async () => {
    const { writer, state } = setup({
      status: () => {
        throw new Error('boom');
      },
    });
    writer.changed();
    await flushMicrotasks();
    expect(state.errors[0]?.message).toMatch(/Cannot write the status file .*: boom/);
  });

  it('holds task writes back by elapsed time, not by the wall clock', async () => {
    const { writer, state, clock } = setup();
    writer.taskChanged();
    await flushMicrotasks();
    clock.setWall(clock.now() - 3_600_000);
    await clock.advance(1_000);
    writer.taskChanged();
    await flushMicrotasks();
    expect(state.builds).toBe(2);
  });
});
