// What a newcomer sees from the inspection commands: warnings about their plugin that say what
// to do, as readable lines on a terminal and as JSON lines otherwise.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { Io } from './output.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function userPlugin(home: string, id: string, source: string, manifest: Record<string, unknown> = {}): void {
  const dir = join(home, 'plugins', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `kora-plugin-${id}`, version: '1.0.0', type: 'module', kora: { id, entry: './index.js', hostApi: '^1.0.0', ...manifest } }));
  writeFileSync(join(dir, 'index.js'), source);
}

/** A project whose home holds: typo (declares hooks it never registers), broken (register throws), spare (installed, not enabled), configured (config, not enabled), liar (an invalid identity). */
function project(enabled: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'kora-inspect-warn-'));
  dirs.push(dir);
  const home = join(dir, 'home');
  userPlugin(home, 'typo', `export default { id: 'typo', register(ctx) { ctx.on('gateway_started', () => {}); } };`, { hooks: ['gateway_started', 'gateway_start', 'post_llm_call'] });
  userPlugin(
    home,
    'broken',
    `function readSettings() { throw new Error('settings.json is missing', { cause: new Error('ENOENT: no such file') }); }
export default { id: 'broken', register() { readSettings(); } };`,
  );
  userPlugin(home, 'spare', `export default { id: 'spare', register() {} };`);
  userPlugin(home, 'unbuilt', `export default { id: 'unbuilt', register() {} };`, { entry: './dist/index.js' });
  userPlugin(home, 'configured', `export default { id: 'configured', register() {} };`);
  userPlugin(home, 'liar', `export default { id: 'liar', register(ctx) { ctx.registerIdentityProvider(() => ({ systemPrompt: '  ', soul: '', metadata: {} })); } };`, { hooks: ['pre_agent_identity_set'] });
  writeFileSync(join(dir, 'kora.yaml'), `plugins:\n  enabled: [${enabled.join(', ')}]\n  config:\n    configured: { a: 1 }\n`);
  const env = { KORA_HOME: home };
  return {
    async run(tty: boolean, ...argv: string[]) {
      const out: string[] = [];
      const err: string[] = [];
      const io: Io = { out: (t) => void out.push(t), err: (t) => void err.push(t), errIsTTY: tty };
      const code = await main(argv, io, env, dir);
      return { code, out: out.join('\n'), err: err.join('\n'), errLines: err };
    },
    dir,
  };
}

describe('inspection warnings', () => {
  it('on a terminal: readable lines naming the plugin, the hook, the nearest hook and the command that enables', async () => {
    const p = project(['typo']);
    const r = await p.run(true, 'plugins', 'list');
    expect(r.code).toBe(0);
    expect(r.err).toContain('kora: warning: plugin "typo": its manifest (kora.hooks) names hook "gateway_start", which is not in the hook catalog and which its register() never registered; did you mean "gateway_started"?');
    expect(r.err).toContain('kora: warning: plugin "typo": its manifest (kora.hooks) names hook "post_llm_call", which its register() never registered');
    expect(r.err).toMatch(/kora: warning: plugin "spare" is installed at .*spare \(source user\) but is not in plugins\.enabled, so it does not load: `kora plugins enable spare` enables it/);
    expect(r.err).toContain('kora: warning: plugin "configured" has config under plugins.config.configured but is not in plugins.enabled, so it does not load: `kora plugins enable configured` enables it');
    expect(r.err).not.toContain('{"level"');
    // Bundled plugins are always there: not enabling one is not worth a warning.
    expect(r.err).not.toMatch(/plugin "kora" is installed/);
  });

  it('not on a terminal, or with --json: JSON lines', async () => {
    const p = project(['typo']);
    for (const r of [await p.run(false, 'plugins', 'list'), await p.run(true, 'plugins', 'list', '--json')]) {
      const lines = r.errLines.map((l) => JSON.parse(l) as { level: number; msg: string; plugin?: string });
      expect(lines.find((l) => l.plugin === 'spare')?.msg).toMatch(/`kora plugins enable spare`/);
      expect(lines.every((l) => l.level >= 40)).toBe(true);
    }
  });

  it('kora config check: readable warnings without --json, JSON lines and a JSON result with it', async () => {
    const p = project(['typo']);
    for (const tty of [true, false]) {
      const r = await p.run(tty, 'config', 'check');
      expect(r.code).toBe(0);
      expect(r.err).toMatch(/^kora: warning: .*kora\.yaml:\d+: plugins\.config\.configured: plugin "configured" is not in plugins\.enabled, so this config is not used: `kora plugins enable configured` enables it$/m);
      if (tty) expect(r.err).not.toContain('{"level"');
    }
    for (const r of [await p.run(false, 'config', 'check', '--json'), await p.run(true, 'config', 'check', '--json')]) {
      expect(r.code).toBe(0);
      const lines = r.errLines.map((l) => JSON.parse(l) as { level: number; msg: string; path?: string; line?: number });
      const line = lines.find((l) => l.path === 'plugins.config.configured');
      expect(line?.msg).toMatch(/`kora plugins enable configured` enables it$/);
      expect(line?.line).toBeGreaterThan(0);
    }
    const json = JSON.parse((await p.run(false, 'config', 'check', '--json')).out) as { ok: boolean; enabled: string[]; warnings: { path: string; line: number | null; message: string }[] };
    expect(json).toMatchObject({ ok: true, enabled: ['typo'] });
    expect(json.warnings).toEqual([expect.objectContaining({ path: 'plugins.config.configured', message: expect.stringContaining('`kora plugins enable configured`') as string })]);
  });

  it('kora config check --json on a config it refuses: the error as JSON on stdout, exit 2', async () => {
    const p = project(['typo']);
    writeFileSync(join(p.dir, 'kora.yaml'), 'plugins:\n  enabled: [typo]\ngateway:\n  drainBudget: soon\n');
    const r = await p.run(false, 'config', 'check', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, error: { code: 'KORA_ERR_CONFIG_INVALID' }, issues: [{ path: 'gateway.drainBudget', line: 4, message: expect.stringContaining('expected a duration') as string }] });
    expect(r.err).toContain('KORA_ERR_CONFIG_INVALID');
  });

  it('a plugin whose entry was never compiled says to build it', async () => {
    const p = project(['unbuilt']);
    const r = await p.run(true, 'plugins', 'list');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/kora: error: plugin unbuilt failed to load: Plugin "unbuilt": its entry .*unbuilt[\\/]dist[\\/]index\.js does not exist \(kora\.entry in .*package\.json\)\. If the plugin compiles to it, run `npm run build` in /);
  });

  it('an error thrown in register() is logged with its stack and cause', async () => {
    const p = project(['broken']);
    const r = await p.run(false, 'plugins', 'info', 'broken');
    expect(r.code).toBe(0);
    const line = r.errLines.map((l) => JSON.parse(l) as { plugin?: string; err?: { message: string; cause?: { message: string; stack: string; cause?: { message: string } } } }).find((l) => l.plugin === 'broken' && l.err);
    expect(line?.err?.message).toBe('Plugin "broken" failed in register(): settings.json is missing');
    expect(line?.err?.cause?.message).toBe('settings.json is missing');
    expect(line?.err?.cause?.stack).toMatch(/at readSettings \(.*broken[\\/]index\.js:1/);
    expect(line?.err?.cause?.cause?.message).toBe('ENOENT: no such file');
  });

  it('an identity provider returning an invalid spec is a problem kora identity shows', async () => {
    const p = project(['liar']);
    const r = await p.run(true, 'identity');
    expect(r.code).toBe(1); // nothing else resolves an identity
    expect(r.out).toContain('problem   identity provider of plugin liar returned an invalid identity (systemPrompt is blank); treated as no claim');
    const json = await p.run(false, 'identity', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ problems: expect.arrayContaining([expect.stringContaining('identity provider of plugin liar returned an invalid identity (systemPrompt is blank)')]) as string[] });
  });
});
