import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusFileError } from '../errors.js';
import { readStatusFile, statusFilePath, writeStatusFile, type StatusProbe } from './status-file.js';
import { sampleStatus } from './status.test-helper.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function home(): string {
  const d = mkdtempSync(join(tmpdir(), 'kora-status-'));
  dirs.push(d);
  return d;
}

const NOW = Date.parse('2026-01-01T00:00:12.000Z');
const alive: StatusProbe = { isAlive: () => true, startToken: () => 'boot-1:1000', now: NOW };

describe('status file: writing', () => {
  it('is written mode 0600, replacing an older file of any mode', () => {
    const path = statusFilePath(home());
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '{}', { mode: 0o644 });
    writeStatusFile(path, sampleStatus());
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ schema: 2, state: 'running' });
  });

  it('gives a temp file left by a crash mode 0600 before writing into it', () => {
    const path = statusFilePath(home());
    mkdirSync(join(path, '..'), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, 'old', { mode: 0o666 });
    chmodSync(tmp, 0o666);
    writeStatusFile(path, sampleStatus());
    expect(existsSync(tmp)).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('fails with a coded error and leaves no temp file behind', () => {
    const h = home();
    const path = statusFilePath(h);
    mkdirSync(path, { recursive: true }); // a folder where the file should be: rename fails
    let error: unknown;
    try {
      writeStatusFile(path, sampleStatus());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StatusFileError);
    expect(error).toMatchObject({ code: 'KORA_ERR_STATUS_WRITE', path });
    expect((error as Error).message).toContain(path);
    expect(readdirSync(join(h, 'run'))).toEqual(['status.json']);
  });

  it('fails with the same coded error when the run folder cannot be made', () => {
    const h = home();
    writeFileSync(join(h, 'run'), 'a file in the way');
    expect(() => writeStatusFile(statusFilePath(h), sampleStatus())).toThrow(StatusFileError);
  });
});

describe('status file: reading', () => {
  function written(status = sampleStatus()): string {
    const path = statusFilePath(home());
    writeStatusFile(path, status);
    return path;
  }

  it('is live when its pid lives with the same start token and the heartbeat is fresh', () => {
    expect(readStatusFile(written(), alive).kind).toBe('live');
  });

  it('is none when there is no file', () => {
    expect(readStatusFile(statusFilePath(home()), alive)).toMatchObject({ kind: 'none' });
  });

  it('is stale when the pid is gone', () => {
    expect(readStatusFile(written(), { ...alive, isAlive: () => false })).toMatchObject({ kind: 'stale', why: 'gone' });
  });

  it('is stale when the pid now belongs to a process that started later', () => {
    expect(readStatusFile(written(), { ...alive, startToken: () => 'boot-1:2000' })).toMatchObject({ kind: 'stale', why: 'pid_reused' });
    expect(readStatusFile(written(), { ...alive, startToken: () => 'boot-2:1000' })).toMatchObject({ kind: 'stale', why: 'pid_reused' });
  });

  it('trusts the pid alone when the start token cannot be read now or was not recorded', () => {
    expect(readStatusFile(written(), { ...alive, startToken: () => null }).kind).toBe('live');
    expect(readStatusFile(written(sampleStatus({ processStartedAt: null })), { ...alive, startToken: () => 'other:1' }).kind).toBe('live');
  });

  it('is not responding when the heartbeat is older than three periods', () => {
    const path = written();
    expect(readStatusFile(path, { ...alive, now: Date.parse('2026-01-01T00:00:25.000Z') }).kind).toBe('live');
    expect(readStatusFile(path, { ...alive, now: Date.parse('2026-01-01T00:00:25.001Z') })).toMatchObject({ kind: 'not_responding', silentMs: 15_001 });
  });

  it('is stopped when the state says so or an exit was recorded, whatever the pid', () => {
    expect(readStatusFile(written(sampleStatus({ state: 'stopped' })), { ...alive, isAlive: () => false }).kind).toBe('stopped');
    const exit = { code: 130, reason: 'second SIGTERM', at: '2026-01-01T00:00:11.000Z', forced: true };
    expect(readStatusFile(written(sampleStatus({ state: 'shutting_down', exit })), { ...alive, isAlive: () => false })).toMatchObject({ kind: 'stopped', status: { exit } });
  });

  it('reads a schema 1 file, without heartbeat or process identity, by its pid alone', () => {
    const { heartbeatAt: _h, heartbeatEveryMs: _e, processStartedAt: _p, exit: _x, ...old } = sampleStatus();
    const path = statusFilePath(home());
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify({ ...old, schema: 1, plugins: [{ id: 'kora', version: '1', source: 'bundled', state: 'loaded', error: null }] }));
    const reading = readStatusFile(path, { ...alive, now: NOW + 3_600_000 });
    expect(reading).toMatchObject({ kind: 'live', status: { schema: 1, heartbeatAt: null, processStartedAt: null, exit: null } });
  });

  it('is malformed, with a reason, for invalid JSON, an empty file, or JSON of the wrong shape', () => {
    const path = statusFilePath(home());
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '{"schema": 2, "pid":');
    expect(readStatusFile(path, alive)).toMatchObject({ kind: 'malformed', error: expect.stringMatching(/^it is not valid JSON/) as unknown });
    writeFileSync(path, '');
    expect(readStatusFile(path, alive)).toMatchObject({ kind: 'malformed', error: 'the file is empty' });
    writeFileSync(path, JSON.stringify({ ...sampleStatus(), pid: 'x', daemons: 'none' }));
    expect(readStatusFile(path, alive)).toMatchObject({ kind: 'malformed', error: expect.stringMatching(/^it is not a gateway status \(pid: .*; daemons: /) as unknown });
    writeFileSync(path, '[1, 2]');
    expect(readStatusFile(path, alive).kind).toBe('malformed');
  });

  it('is unreadable, with the reason, when the file cannot be read', () => {
    const path = statusFilePath(home());
    mkdirSync(path, { recursive: true });
    expect(readStatusFile(path, alive)).toMatchObject({ kind: 'unreadable', error: expect.stringContaining('EISDIR') as unknown });
  });
});
