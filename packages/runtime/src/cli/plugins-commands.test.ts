import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { Io } from './output.js';
import { placeInOrder } from './plugins-commands.js';

const COMMENTED = `# Ops box.
home: ./home            # next to this file

plugins:
  # First claim wins the identity.
  enabled:
    - kora              # the agent
    - fleet             # our daemons
  disabled: []          # nothing yet

log:
  level: warn
`;

// A plain-JS user plugin that registers a hook and a daemon with a task.
const FLEET = `export default {
  id: 'fleet',
  register(ctx) {
    ctx.on('gateway_started', () => {});
    ctx.registerDaemon({ name: 'fleet_sync', start() {}, tasks: [{ name: 'fleet.sync', every: '5m', run() {} }], consumers: [{ topic: 'fleet.events', handle() {} }] });
  },
};
`;

interface Fixture {
  dir: string;
  file: string;
  env: Record<string, string>;
  run(...argv: string[]): Promise<{ code: number; out: string; err: string }>;
  text(): string;
}

const fixtures: Fixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) rmSync(f.dir, { recursive: true, force: true });
});

function userPlugin(home: string, id: string, source: string, manifest: Record<string, unknown> = {}): void {
  const dir = join(home, 'plugins', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `kora-plugin-${id}`, version: '2.1.0', type: 'module', kora: { id, entry: './index.js', hostApi: '^1.0.0', ...manifest } }));
  writeFileSync(join(dir, 'index.js'), source);
}

/** A project with `kora.yaml` (`yaml`) and a home holding the user plugins fleet, extra and future (host API 9). */
function fixture(yaml = COMMENTED): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'kora-plugins-cmd-'));
  const home = join(dir, 'home');
  userPlugin(home, 'fleet', FLEET, { description: 'Fleet daemons', hooks: ['gateway_started'], daemons: ['fleet_sync'] });
  userPlugin(home, 'extra', 'export default { id: "extra", register() {} };');
  userPlugin(home, 'future', 'export default { id: "future", register() {} };', { hostApi: '^9.0.0' });
  const file = join(dir, 'kora.yaml');
  writeFileSync(file, yaml);
  const env = { KORA_HOME: home, KORA_LOG_LEVEL: 'silent' };
  const f: Fixture = {
    dir,
    file,
    env,
    async run(...argv) {
      let out = '';
      let err = '';
      const io: Io = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) };
      const code = await main(argv, io, env, dir);
      return { code, out, err };
    },
    text: () => readFileSync(file, 'utf8'),
  };
  fixtures.push(f);
  return f;
}

describe('placeInOrder', () => {
  it('appends a new id, and leaves an enabled one where it is without a placement', () => {
    expect(placeInOrder(['a', 'b'], 'c', { at: 'end' })).toEqual(['a', 'b', 'c']);
    expect(placeInOrder(['a', 'b'], 'a', { at: 'end' })).toEqual(['a', 'b']);
  });

  it('moves an enabled id first, before or after another', () => {
    expect(placeInOrder(['a', 'b', 'c'], 'c', { at: 'first' })).toEqual(['c', 'a', 'b']);
    expect(placeInOrder(['a', 'b', 'c'], 'a', { at: 'before', anchor: 'c' })).toEqual(['b', 'a', 'c']);
    expect(placeInOrder(['a', 'b', 'c'], 'a', { at: 'after', anchor: 'c' })).toEqual(['b', 'c', 'a']);
    expect(placeInOrder(['a', 'b'], 'x', { at: 'after', anchor: 'a' })).toEqual(['a', 'x', 'b']);
  });

  it('refuses an anchor that is not enabled, or the id itself', () => {
    expect(() => placeInOrder(['a', 'b'], 'x', { at: 'before', anchor: 'z' })).toThrow(/--before z: "z" is not in plugins\.enabled \(a, b\)/);
    expect(() => placeInOrder(['a', 'b'], 'a', { at: 'after', anchor: 'a' })).toThrow(/relative to itself/);
  });
});

describe('kora plugins enable', () => {
  it('appends the plugin to plugins.enabled, keeping every comment and the layout', async () => {
    const f = fixture();
    const r = await f.run('plugins', 'enable', 'extra');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(`Enabled extra in ${f.file}: plugins.enabled is now [kora, fleet, extra].`);
    expect(f.text()).toBe(COMMENTED.replace('    - fleet             # our daemons\n', '    - fleet             # our daemons\n    - extra\n'));
  });

  it("puts a new plugin before an enabled one whose manifest says it comes after it (kora.after)", async () => {
    const f = fixture();
    userPlugin(join(f.dir, 'home'), 'surface', 'export default { id: "surface", register() {} };');
    userPlugin(join(f.dir, 'home'), 'mounted', 'export default { id: "mounted", register() {} };', { after: ['surface'] });
    expect((await f.run('plugins', 'enable', 'mounted')).code).toBe(0);
    const r = await f.run('plugins', 'enable', 'surface');
    expect(r.code).toBe(0);
    expect(r.out).toContain('plugins.enabled is now [kora, fleet, surface, mounted].');
    expect(r.out).toContain('Placed before mounted, whose manifest (kora.after) says it loads after surface.');
    // An explicit placement is the operator's.
    expect((await f.run('plugins', 'enable', 'surface', '--first')).out).toContain('plugins.enabled is now [surface, kora, fleet, mounted].');
  });

  it('moves an enabled plugin with --first, --before and --after', async () => {
    const f = fixture();
    expect((await f.run('plugins', 'enable', 'fleet', '--first')).code).toBe(0);
    expect(f.text()).toContain('  enabled:\n    - fleet             # our daemons\n    - kora              # the agent\n  disabled: []');
    await f.run('plugins', 'enable', 'extra', '--before', 'kora');
    await f.run('plugins', 'enable', 'fleet', '--after', 'kora');
    expect(f.text()).toContain('  enabled:\n    - extra\n    - kora              # the agent\n    - fleet             # our daemons\n  disabled: []          # nothing yet\n');
  });

  it('changes nothing for a plugin that is already enabled and not placed', async () => {
    const f = fixture();
    const r = await f.run('plugins', 'enable', 'kora');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/kora is already enabled \(position 1 of 2 in plugins\.enabled/);
    expect(f.text()).toBe(COMMENTED);
  });

  it('takes the plugin out of plugins.disabled, which would otherwise keep it from loading', async () => {
    const f = fixture('plugins:\n  enabled: [kora]\n  disabled: [fleet, extra]   # off for now\n');
    const r = await f.run('plugins', 'enable', 'fleet', '--first');
    expect(r.out).toContain('Removed fleet from plugins.disabled');
    expect(f.text()).toBe('plugins:\n  enabled: [fleet, kora]\n  disabled: [extra]   # off for now\n');
  });

  it('refuses an unknown id with exit 2, listing the plugins found', async () => {
    const f = fixture();
    const r = await f.run('plugins', 'enable', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/kora: PluginError: No plugin "nope" was found\. Found: .*extra \(user\), fleet \(user\), future \(user\)\. Install it/);
    expect(r.err).toContain('(KORA_ERR_PLUGIN_NOT_FOUND)');
    expect(f.text()).toBe(COMMENTED);
  });

  it('refuses an anchor that is not enabled, and two placements at once, with exit 2', async () => {
    const f = fixture();
    const bad = await f.run('plugins', 'enable', 'extra', '--after', 'web');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--after web: "web" is not in plugins\.enabled \(kora, fleet\)/);
    const both = await f.run('plugins', 'enable', 'extra', '--first', '--before', 'kora');
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/cannot be used with/);
    expect(f.text()).toBe(COMMENTED);
  });

  it('warns when the host API cannot satisfy the plugin, and still enables it', async () => {
    const f = fixture();
    const r = await f.run('plugins', 'enable', 'future');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: future 2\.1\.0 requires host API \^9\.0\.0, but this Kora runtime provides host API 1\.1\.0/);
    expect(f.text()).toContain('    - future\n');
  });

  it('refuses to edit a config the gateway would not accept', async () => {
    const broken = COMMENTED.replace('level: warn', 'level: loud');
    const f = fixture(broken);
    const r = await f.run('plugins', 'enable', 'extra');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/log\.level \(line \d+\)/);
    expect(f.text()).toBe(broken);
  });
});

describe('kora plugins disable', () => {
  it('adds the plugin to plugins.disabled and leaves its place in plugins.enabled', async () => {
    const f = fixture();
    const r = await f.run('plugins', 'disable', 'fleet');
    expect(r.code).toBe(0);
    expect(r.out).toContain('It keeps its place in plugins.enabled (position 2 of 2)');
    expect(f.text()).toBe(COMMENTED.replace('disabled: []          # nothing yet', 'disabled: [fleet]          # nothing yet'));
    const list = await f.run('plugins', 'list', '--json');
    expect((JSON.parse(list.out) as { id: string; state: string }[]).find((p) => p.id === 'fleet')?.state).toBe('disabled');
    // Enabling it again restores it where it was.
    await f.run('plugins', 'enable', 'fleet');
    expect(f.text()).toBe(COMMENTED);
  });

  it('can disable an enabled plugin that is no longer installed, so the gateway boots again', async () => {
    const f = fixture('plugins:\n  enabled: [kora, gone]\n');
    expect((await f.run('plugins', 'list')).code).toBe(2);
    const r = await f.run('plugins', 'disable', 'gone');
    expect(r.code).toBe(0);
    expect(f.text()).toBe('plugins:\n  enabled: [kora, gone]\n  disabled: [gone]\n');
    expect((await f.run('plugins', 'list')).code).toBe(0);
  });

  it('refuses an unknown id with exit 2', async () => {
    const f = fixture();
    const r = await f.run('plugins', 'disable', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/No plugin "nope" was found\. Found: .*fleet \(user\)/);
  });
});

describe('kora plugins info', () => {
  it('shows the manifest, source, state and what the plugin registered', async () => {
    const f = fixture();
    const r = await f.run('plugins', 'info', 'fleet');
    expect(r.code).toBe(0);
    expect(r.out).toContain('fleet 2.1.0 (kora-plugin-fleet)');
    expect(r.out).toMatch(/source +user \(third-party\)/);
    expect(r.out).toMatch(/host API +\^1\.0\.0 \(this runtime provides 1\.1\.0: satisfied\)/);
    expect(r.out).toMatch(/state +loaded, position 2 of 2 in plugins\.enabled/);
    expect(r.out).toMatch(/registered +hooks: gateway_started; daemons: fleet_sync; tools: none; identity provider: no/);
    expect(r.out).toMatch(/tasks +fleet\.sync \(every 5m, daemon fleet_sync\)\n/);
    expect(r.out).toMatch(/consumers +fleet\.events \(daemon fleet_sync\)\n/);
    const json = JSON.parse((await f.run('plugins', 'info', 'fleet', '--json')).out) as Record<string, unknown>;
    expect(json).toMatchObject({
      id: 'fleet',
      source: 'user',
      thirdParty: true,
      state: 'loaded',
      loadPosition: 2,
      hostApiProvided: '1.1.0',
      manifest: { id: 'fleet', entry: './index.js', hooks: ['gateway_started'], daemons: ['fleet_sync'] },
      registered: {
        hooks: ['gateway_started'],
        daemons: ['fleet_sync'],
        tools: [],
        identityProvider: false,
        tasks: [{ name: 'fleet.sync', daemon: 'fleet_sync', schedule: 'every 5m' }],
        consumers: [{ topic: 'fleet.events', daemon: 'fleet_sync' }],
      },
    });
  });

  it('says a plugin that is not enabled registered nothing', async () => {
    const f = fixture();
    const r = await f.run('plugins', 'info', 'extra');
    expect(r.out).toMatch(/state +not_enabled\n/);
    expect(r.out).toMatch(/registered +nothing \(not in plugins\.enabled: `kora plugins enable extra` loads it\)/);
  });

  it('refuses an unknown id with exit 2', async () => {
    const f = fixture();
    const r = await f.run('plugins', 'info', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/No plugin "nope" was found\. Found: .*fleet \(user\)/);
  });
});
