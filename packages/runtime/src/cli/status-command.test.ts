import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statusFilePath, writeStatusFile } from '../gateway/status-file.js';
import type { GatewayStatus } from '../gateway/status.js';
import { sampleStatus } from '../gateway/status.test-helper.js';
import { EXIT_NOT_RESPONDING, EXIT_NOT_RUNNING, EXIT_STATUS_UNREADABLE, runStatus, type StatusCommandOptions } from './status-command.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project() {
  const dir = mkdtempSync(join(tmpdir(), 'kora-status-cmd-'));
  dirs.push(dir);
  const home = join(dir, 'home');
  return { dir, home, write: (s: GatewayStatus) => writeStatusFile(statusFilePath(home), s) };
}

const NOW = Date.parse('2026-01-01T00:00:12.000Z');
const alive = { isAlive: () => true, startToken: () => 'boot-1:1000' };

function run(options: Partial<StatusCommandOptions> & { cwd: string }) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runStatus({ env: {}, now: NOW, probe: alive, ...options }, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('kora status', () => {
  it('shows a live gateway, exit 0', () => {
    const p = project();
    p.write(sampleStatus({ home: p.home }));
    const r = run({ cwd: p.dir, env: { KORA_HOME: p.home } });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Gateway RUNNING — pid 4242/);
  });

  it('says who leads the fleet and which daemons wait for the lead', () => {
    const p = project();
    const base = sampleStatus({ home: p.home });
    const standby = { ...base.daemons[0]!, name: 'imap_poller', scope: 'leader' as const, state: 'pending' as const };
    p.write(sampleStatus({ home: p.home, daemons: [...base.daemons, standby], fleet: { leader: 'sess-other', leading: false, leaderSince: '2026-01-01T00:00:01.000Z', leaseMs: 15_000, heartbeatAt: '2026-01-01T00:00:09.000Z' } }));
    const r = run({ cwd: p.dir, env: { KORA_HOME: p.home } });
    expect(r.out).toContain('  fleet     gateway sess-other leads (since 2026-01-01T00:00:01.000Z); leader-scoped daemons wait here');
    expect(r.out).toMatch(/imap_poller +standby \(runs on the leader\) .* leader-scoped/);
    p.write(sampleStatus({ home: p.home, fleet: { leader: 'sess-1', leading: true, leaderSince: '2026-01-01T00:00:01.000Z', leaseMs: 15_000, heartbeatAt: null } }));
    expect(run({ cwd: p.dir, env: { KORA_HOME: p.home } }).out).toContain('  fleet     this gateway leads (since 2026-01-01T00:00:01.000Z; lease 15 s)');
  });

  it('says a gateway whose heartbeat is older than three periods is not responding, exit 4', () => {
    const p = project();
    p.write(sampleStatus({ heartbeatAt: '2026-01-01T00:00:00.000Z' }));
    const r = run({ cwd: p.dir, env: { KORA_HOME: p.home }, now: Date.parse('2026-01-01T00:00:42.000Z') });
    expect(r.code).toBe(EXIT_NOT_RESPONDING);
    expect(r.out).toMatch(/^Gateway \(pid 4242\) is not responding for 42 s \(last heartbeat 2026-01-01T00:00:00\.000Z, expected every 5s\)/);
    const json = run({ cwd: p.dir, env: { KORA_HOME: p.home }, now: Date.parse('2026-01-01T00:00:42.000Z'), json: true });
    expect(json.code).toBe(EXIT_NOT_RESPONDING);
    expect(JSON.parse(json.out)).toMatchObject({ running: true, responding: false, reading: 'not_responding', silentMs: 42_000 });
  });

  it('does not take a reused pid for the gateway, exit 3', () => {
    const p = project();
    p.write(sampleStatus());
    const r = run({ cwd: p.dir, env: { KORA_HOME: p.home }, probe: { isAlive: () => true, startToken: () => 'boot-1:9999' } });
    expect(r.code).toBe(EXIT_NOT_RUNNING);
    expect(r.out).toMatch(/pid 4242 now belongs to another process, started after the gateway/);
    expect(JSON.parse(run({ cwd: p.dir, env: { KORA_HOME: p.home }, probe: { isAlive: () => true, startToken: () => 'boot-1:9999' }, json: true }).out)).toMatchObject({ running: false, responding: false, reading: 'stale', why: 'pid_reused' });
  });

  it('names the file and what to do for invalid JSON, never a stack trace, exit 5', () => {
    const p = project();
    mkdirSync(join(p.home, 'run'), { recursive: true });
    writeFileSync(statusFilePath(p.home), '{"schema": 2, "pi');
    const r = run({ cwd: p.dir, env: { KORA_HOME: p.home } });
    expect(r.code).toBe(EXIT_STATUS_UNREADABLE);
    expect(r.out).toContain(`The status file ${statusFilePath(p.home)} cannot be read as a gateway status: it is not valid JSON`);
    expect(r.out).toMatch(/delete it \(the next gateway writes a new one\)\.$/);
    expect(r.out + r.err).not.toMatch(/\n\s+at /);
  });

  it('names the fields of valid JSON of the wrong shape, exit 5', () => {
    const p = project();
    mkdirSync(join(p.home, 'run'), { recursive: true });
    writeFileSync(statusFilePath(p.home), JSON.stringify({ schema: 2, pid: 'twelve', state: 'dancing' }));
    const r = run({ cwd: p.dir, env: { KORA_HOME: p.home } });
    expect(r.code).toBe(EXIT_STATUS_UNREADABLE);
    expect(r.out).toMatch(/it is not a gateway status \(pid: .*; state: .*; and \d+ more\)/);
    expect(JSON.parse(run({ cwd: p.dir, env: { KORA_HOME: p.home }, json: true }).out)).toMatchObject({ running: false, reading: 'malformed', error: expect.stringContaining('pid') as unknown });
  });

  it('shows the exit record of a stopped gateway, and its never-started daemons as not started', () => {
    const p = project();
    const daemon = sampleStatus().daemons[0]!;
    p.write(
      sampleStatus({
        state: 'stopped',
        exitCode: 1,
        exit: { code: 1, reason: 'fatal daemon db failed to start', at: '2026-01-01T00:00:05.000Z' },
        daemons: [
          { ...daemon, name: 'db', state: 'failed', fatal: true, error: 'refused' },
          { ...daemon, name: 'later', state: 'pending' },
        ],
      }),
    );
    const r = run({ cwd: p.dir, env: { KORA_HOME: p.home } });
    expect(r.code).toBe(EXIT_NOT_RUNNING);
    expect(r.out).toContain('the last one stopped at 2026-01-01T00:00:05.000Z (fatal daemon db failed to start, exit 1)');
    expect(r.out).toMatch(/later +not started/);
    expect(r.out).not.toContain('pending');
  });

  it('says a forced exit was forced, and by whom', () => {
    const p = project();
    p.write(sampleStatus({ state: 'shutting_down', exit: { code: 130, reason: 'second signal', at: '2026-01-01T00:00:05.000Z', forced: true, by: 'signal SIGINT' } }));
    const r = run({ cwd: p.dir, env: { KORA_HOME: p.home }, probe: { isAlive: () => false } });
    expect(r.out).toContain('(second signal, exit 130, forced by signal SIGINT)');
  });

  it('escapes control characters a plugin put in names or errors', () => {
    const p = project();
    const daemon = sampleStatus().daemons[0]!;
    p.write(sampleStatus({ state: 'degraded', problems: ['x\nGateway RUNNING — forged'], daemons: [{ ...daemon, name: 'd\u001b[2K', state: 'failed', error: 'e\n    fake 1' }] }));
    const r = run({ cwd: p.dir, env: { KORA_HOME: p.home } });
    const lines = r.out.split('\n');
    expect(lines.filter((l) => l.startsWith('Gateway '))).toHaveLength(1);
    expect(r.out).toContain('problem   x\\nGateway RUNNING — forged');
    expect(r.out).toMatch(/d\\u001b\[2K +failed +kora {2}error: e\\n {4}fake 1/);
  });

  it('reads the status with KORA_HOME set even when kora.yaml is broken, without reading it', () => {
    const p = project();
    p.write(sampleStatus());
    writeFileSync(join(p.dir, 'kora.yaml'), 'plugins: [\n');
    const r = run({ cwd: p.dir, env: { KORA_HOME: p.home } });
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
  });

  it("without KORA_HOME, finds a broken kora.yaml's home: and warns that the file has errors", () => {
    const p = project();
    p.write(sampleStatus());
    writeFileSync(join(p.dir, 'kora.yaml'), 'home: ./home\nplugins:\n  enabled: [kora\n');
    const r = run({ cwd: p.dir });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^kora: warning: .*kora\.yaml has errors \(.*run `kora config check`\); its home: was read anyway\.$/);
  });

  it("without KORA_HOME, reads the home: of a config that is valid YAML but fails validation", () => {
    const p = project();
    p.write(sampleStatus());
    writeFileSync(join(p.dir, 'kora.yaml'), 'home: ./home\ngateway:\n  drainBudget: soon\nplugins:\n  enabled: [kora]\n');
    expect(run({ cwd: p.dir }).code).toBe(0);
  });

  it('says plainly which file it could not read the home from, exit 2', () => {
    const p = project();
    writeFileSync(join(p.dir, 'kora.yaml'), '"home: ./home\nplugins: []\n');
    const r = run({ cwd: p.dir });
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^kora: Cannot tell which home to read: .*kora\.yaml is not valid \(.*\), and its home: cannot be read from it\. Fix the file .* or set KORA_HOME/);
  });
});

describe('kora status and secrets', () => {
  it('scrubs secrets its own environment knows from a status file that still holds them', () => {
    const p = project();
    p.write(sampleStatus({ problems: ['daemon x failed: auth with tok-old-file-123 refused'] }));
    const env = { KORA_HOME: p.home, KORA_TEST_TOKEN: 'tok-old-file-123' };
    const text = run({ cwd: p.dir, env });
    const json = run({ cwd: p.dir, env, json: true });
    expect(text.out).toContain('daemon x failed: auth with [redacted] refused');
    expect(json.out).not.toContain('tok-old-file-123');
  });
});

describe('kora status, a failing task', () => {
  const task = (lastRun: NonNullable<GatewayStatus['daemons'][number]['tasks'][number]['lastRun']>) => ({
    name: 'snapshot.compute',
    daemon: 'snapshot',
    pluginId: 'kora',
    schedule: 'every 1m',
    enabled: true as const,
    nextRun: '2026-01-01T00:01:00.000Z',
    lastRun,
    runs: 3,
    failures: 3,
    skips: 0,
    misses: 0,
    running: false,
  });
  const withTask = (lastRun: Parameters<typeof task>[0]) => {
    const s = sampleStatus();
    return sampleStatus({ daemons: [{ ...s.daemons[0]!, tasks: [task(lastRun)] }] });
  };

  it('shows the last error in the human output', () => {
    const p = project();
    p.write(withTask({ slot: '2026-01-01T00:00:00.000Z', startedAt: '2026-01-01T00:00:00.002Z', status: 'failed', durationMs: 4, error: 'ECONNREFUSED 127.0.0.1:5432' }));
    const r = run({ cwd: p.dir, env: { KORA_HOME: p.home } });
    expect(r.out).toMatch(/task snapshot\.compute: every 1m; last failed in 4ms at .*; runs 3, failures 3\n {8}last error: ECONNREFUSED 127\.0\.0\.1:5432/);
  });

  it('does not call the slot count of a missed row an error', () => {
    const p = project();
    p.write(withTask({ slot: '2026-01-01T00:00:00.000Z', startedAt: null, status: 'missed', durationMs: null, error: '3 slots missed while the gateway was down' }));
    expect(run({ cwd: p.dir, env: { KORA_HOME: p.home } }).out).not.toContain('last error');
  });
});
