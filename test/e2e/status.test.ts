// The real `kora status` bin reading status files it must judge: wedged, reused pid, malformed,
// and a broken kora.yaml beside it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processStartToken } from '../../packages/runtime/src/gateway/process-identity.js';
import { sampleStatus } from '../../packages/runtime/src/gateway/status.test-helper.js';
import { makeProject, runKora, type Project } from './helpers.js';

const projects: Project[] = [];
afterEach(() => {
  for (const p of projects.splice(0)) p.cleanup();
});

function project(): Project {
  const p = makeProject();
  projects.push(p);
  mkdirSync(join(p.home, 'run'), { recursive: true });
  return p;
}

const statusPath = (p: Project) => join(p.home, 'run', 'status.json');
// A live process whose identity the reader can check: this test runner.
const me = { pid: process.pid, processStartedAt: processStartToken(process.pid) };

describe('kora status (end to end)', () => {
  it('says a live process whose heartbeat stopped is not responding, exit 4', () => {
    const p = project();
    const long = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(statusPath(p), JSON.stringify(sampleStatus({ ...me, home: p.home, heartbeatAt: long, heartbeatEveryMs: 5000 })));
    const r = runKora(['status'], p);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(new RegExp(`^Gateway \\(pid ${process.pid}\\) is not responding for 6\\d s \\(last heartbeat ${long.replace(/\./g, '\\.')}`));
    const json = runKora(['status', '--json'], p);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toMatchObject({ running: true, responding: false, reading: 'not_responding' });
  });

  it.runIf(process.platform === 'linux')('does not take a pid now used by another process for the gateway, exit 3', () => {
    const p = project();
    writeFileSync(statusPath(p), JSON.stringify(sampleStatus({ pid: process.pid, processStartedAt: 'another-boot:1', heartbeatAt: new Date().toISOString() })));
    const r = runKora(['status'], p);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`pid ${process.pid} now belongs to another process`);
  });

  it('answers a malformed status file with one sentence naming it, no stack trace, exit 5', () => {
    const p = project();
    writeFileSync(statusPath(p), '{"schema": 2, "state": "run');
    const r = runKora(['status'], p);
    expect(r.code).toBe(5);
    expect(r.stdout).toContain(`The status file ${statusPath(p)} cannot be read as a gateway status: it is not valid JSON`);
    expect(r.stderr).toBe('');
    writeFileSync(statusPath(p), JSON.stringify({ hello: 'world' }));
    const shape = runKora(['status', '--json'], p);
    expect(shape.code).toBe(5);
    expect(JSON.parse(shape.stdout)).toMatchObject({ running: false, reading: 'malformed' });
  });

  it('reads the status with KORA_HOME set while kora.yaml is broken', () => {
    const p = project();
    p.writeConfig('plugins:\n  enabled: [kora\n');
    writeFileSync(statusPath(p), JSON.stringify(sampleStatus({ ...me, home: p.home, heartbeatAt: new Date().toISOString() })));
    const r = runKora(['status'], p);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Gateway RUNNING/);
  });

  it("without KORA_HOME, finds a broken kora.yaml's home:, or says what it could not read (exit 2)", () => {
    const p = project();
    const { KORA_HOME: _home, ...env } = p.env;
    p.env = env;
    p.writeConfig('home: ./home\nplugins:\n  enabled: [kora\n');
    writeFileSync(statusPath(p), JSON.stringify(sampleStatus({ ...me, home: p.home, heartbeatAt: new Date().toISOString() })));
    const found = runKora(['status'], p);
    expect(found.code).toBe(0);
    expect(found.stderr).toMatch(/kora\.yaml has errors .*its home: was read anyway/);
    p.writeConfig('"home: ./home\nplugins: []\n');
    const lost = runKora(['status'], p);
    expect(lost.code).toBe(2);
    expect(lost.stderr).toMatch(/^kora: Cannot tell which home to read: .*kora\.yaml is not valid/);
  });
});
