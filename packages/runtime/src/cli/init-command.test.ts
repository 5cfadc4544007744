import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../config/load.js';
import { writePlugin } from '../plugins/fixture-plugins.test-helper.js';
import { readPluginPackage } from '../plugins/manifest.js';
import { initOrder, roleOf, runInit } from './init-command.js';
import { main } from './main.js';
import type { Io } from './output.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kora-init-'));
  dirs.push(dir);
  return dir;
}

function capture(): Io & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out: (t) => void out_.push(t), err: (t) => void err_.push(t), out_, err_ };
}

/** A bundled plugins folder with the manifests given (role optional). */
function bundled(plugins: { id: string; role?: string; hooks?: string[]; after?: unknown }[]): string {
  const dir = join(tempDir(), 'bundled');
  for (const p of plugins) {
    const folder = writePlugin(dir, { id: p.id, ...(p.hooks ? { hooks: p.hooks } : {}) });
    const file = join(folder, 'package.json');
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { kora: Record<string, unknown> };
    if (p.role) pkg.kora.role = p.role;
    if (p.after !== undefined) pkg.kora.after = p.after;
    writeFileSync(file, JSON.stringify(pkg));
  }
  return dir;
}

describe('kora init', () => {
  it('writes every bundled plugin, identity first, then engine, channels, surfaces, operations, each by id', () => {
    const bundledDir = bundled([
      { id: 'web', role: 'surface' },
      { id: 'probes' }, // no role, no identity hook: operations
      { id: 'zeta', hooks: ['pre_agent_identity_set'] }, // no role, but an identity provider
      { id: 'email', role: 'channel' },
      { id: 'reasoning', role: 'engine' },
      { id: 'alerts', role: 'operations' },
      { id: 'kora', role: 'identity' },
      { id: 'slack', role: 'channel' },
    ]);
    const project = join(tempDir(), 'agent');
    const io = capture();
    expect(runInit({ dir: project, env: {}, cwd: '/', bundledDir }, io)).toBe(0);
    const text = readFileSync(join(project, 'kora.yaml'), 'utf8');
    const config = parseConfigText(text, 'kora.yaml');
    expect(config.plugins.enabled).toEqual(['kora', 'zeta', 'reasoning', 'email', 'slack', 'web', 'alerts', 'probes']);
    expect(config.home).toBe('./.kora');
    expect(text).toMatch(/^ {4}# identity: fixture kora\n {4}- kora$/m);
    expect(text).toMatch(/^ {4}# operations: fixture probes\n {4}- probes$/m);
    expect(io.out_.join('\n')).toContain('8 bundled plugin(s) enabled: kora, zeta, reasoning, email, slack, web, alerts, probes');
  });

  it('refuses to overwrite a kora.yaml, and leaves it as it was', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'kora.yaml'), 'plugins: { enabled: [] }\n');
    const io = capture();
    expect(await main(['init', '--dir', dir], io, {}, '/')).toBe(2);
    expect(io.err_.join('\n')).toMatch(/kora\.yaml already exists\. Edit it .*kora init --dir <another folder>[\s\S]*KORA_ERR_CONFIG_EXISTS/);
    expect(readFileSync(join(dir, 'kora.yaml'), 'utf8')).toBe('plugins: { enabled: [] }\n');
  });

  it("lists this repository's bundled plugins in the working directory, and the config it writes checks", async () => {
    const dir = tempDir();
    const io = capture();
    expect(await main(['init'], io, {}, dir)).toBe(0);
    const config = parseConfigText(readFileSync(join(dir, 'kora.yaml'), 'utf8'), 'kora.yaml');
    const enabled = config.plugins.enabled;
    for (const id of ['kora', 'reasoning', 'slack', 'web', 'mcp']) expect(enabled).toContain(id);
    expect(enabled[0]).toBe('kora');
    expect(enabled.indexOf('reasoning')).toBeLessThan(enabled.indexOf('slack'));
    expect(enabled.indexOf('slack')).toBeLessThan(enabled.indexOf('web'));
    // What the bundled manifests' `after` asks: mcp mounts on web's admin server; alerts reads
    // probes and telemetry; snapshot rolls up alerts, proposals and the cost windows.
    expect(enabled.indexOf('web')).toBeLessThan(enabled.indexOf('mcp'));
    for (const [later, earlier] of [['alerts', 'probes'], ['alerts', 'telemetry'], ['snapshot', 'alerts'], ['snapshot', 'promote'], ['snapshot', 'telemetry']] as const) {
      if (enabled.includes(later)) expect(enabled.indexOf(earlier)).toBeLessThan(enabled.indexOf(later));
    }
    expect(enabled.indexOf('kora')).toBeLessThan(enabled.indexOf('marvin')); // kora speaks; marvin is one line to delete (0100)
    const check = capture();
    expect(await main(['config', 'check'], check, { KORA_LOG_LEVEL: 'error' }, dir)).toBe(0);
    expect(check.out_.join('\n')).toContain(': OK (');
  }, 30_000);

  it('writes an empty enabled list when the install has no bundled plugin', () => {
    const dir = tempDir();
    runInit({ dir, env: {}, cwd: '/', bundledDir: null }, capture());
    expect(parseConfigText(readFileSync(join(dir, 'kora.yaml'), 'utf8'), 'kora.yaml').plugins.enabled).toEqual([]);
  });

  it('orders by role, then id, and takes a role-less identity provider for an identity plugin', () => {
    expect(roleOf({ hooks: ['pre_agent_identity_set'], role: undefined })).toBe('identity');
    expect(roleOf({ hooks: [], role: 'channel' })).toBe('channel');
    expect(roleOf({ hooks: [] })).toBe('operations');
    const sorted = initOrder([
      { id: 'b', role: 'operations', description: '' },
      { id: 'a', role: 'surface', description: '' },
      { id: 'c', role: 'identity', description: '' },
    ]);
    expect(sorted.map((p) => p.id)).toEqual(['c', 'a', 'b']);
  });

  it("reads `after` from the manifests it finds, and refuses a malformed one naming the field", () => {
    const bundledDir = bundled([
      { id: 'mcp', role: 'surface', after: ['web'] },
      { id: 'web', role: 'surface' },
    ]);
    const project = join(tempDir(), 'agent');
    expect(runInit({ dir: project, env: {}, cwd: '/', bundledDir }, capture())).toBe(0);
    expect(parseConfigText(readFileSync(join(project, 'kora.yaml'), 'utf8'), 'kora.yaml').plugins.enabled).toEqual(['web', 'mcp']);
    expect(() => readPluginPackage(join(bundled([{ id: 'bad', after: 'web' }]), 'bad'))).toThrow(/kora\.after/);
  });

  it('puts a plugin after the listed plugins its manifest names in `after`, and breaks a cycle', () => {
    const ids = (plugins: Parameters<typeof initOrder>[0]) => initOrder(plugins).map((p) => p.id);
    expect(
      ids([
        { id: 'mcp', role: 'surface', description: '', after: ['web'] },
        { id: 'web', role: 'surface', description: '' },
        { id: 'alerts', role: 'operations', description: '', after: ['probes', 'telemetry', 'absent'] },
        { id: 'probes', role: 'operations', description: '' },
        { id: 'telemetry', role: 'operations', description: '' },
      ]),
    ).toEqual(['web', 'mcp', 'probes', 'telemetry', 'alerts']);
    expect(
      ids([
        { id: 'b', role: 'operations', description: '', after: ['a'] },
        { id: 'a', role: 'operations', description: '', after: ['b'] },
      ]),
    ).toEqual(['a', 'b']);
  });
});

describe('kora plugins enable without a kora.yaml', () => {
  it('says to run kora init, and writes nothing', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'empty'));
    const io = capture();
    expect(await main(['plugins', 'enable', 'kora'], io, {}, join(dir, 'empty'))).toBe(2);
    expect(io.err_.join('\n')).toMatch(/No kora\.yaml here \(.*empty\) to enable a plugin in\. Run `kora init` to write one/);
    expect(existsSync(join(dir, 'empty', 'kora.yaml'))).toBe(false);
  });
});
