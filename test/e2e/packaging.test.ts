// Kora installed the way a user installs it: `npm pack --workspaces`, the tarballs installed
// into a fresh project (no workspace links), and that project's own `kora` bin choosing between
// the bundled Kora and the third-party Marvin by config order. One install serves every case.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll, REPO, type Running } from './helpers.js';
import { installTarballs, npmEnv, pack, runBin, startBin, writeJson, type InstallReport, type PackedPackage } from './installed-project.js';

const INSTALLED = ['@kora/runtime', '@kora/plugin-kora', 'kora-plugin-marvin'];

let root: string;
let project: string;
let bin: string;
let packed: PackedPackage[];
let install: InstallReport;

beforeAll(() => {
  for (const built of ['packages/runtime/dist/cli/main.js', 'plugins/kora/dist/index.js', 'plugins/marvin/dist/index.js']) {
    if (!existsSync(join(REPO, built))) throw new Error(`${built} is missing: build first (npx tsc -b; npm test does it)`);
  }
  root = mkdtempSync(join(tmpdir(), 'kora-packaging-'));
  project = join(root, 'project');
  mkdirSync(join(root, 'tarballs'));
  mkdirSync(project);
  // --ignore-scripts: pack the dist this run was built with (npm test builds first), instead of
  // letting a prepack rebuild it under the other e2e files running in parallel.
  packed = pack(REPO, join(root, 'tarballs'), ['--workspaces', '--ignore-scripts']);
  const repo = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  // A user's project: Kora from the tarballs; TypeScript to build a plugin of their own.
  writeJson(join(project, 'package.json'), {
    name: 'my-agents',
    private: true,
    type: 'module',
    devDependencies: { typescript: repo.devDependencies.typescript, '@types/node': repo.devDependencies['@types/node'] },
  });
  install = installTarballs(project, packed.map((p) => p.tarball));
  bin = join(project, 'node_modules', '.bin', 'kora');
}, 600_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const running: Running[] = [];
afterEach(async () => {
  await killAll(running);
});

/**
 * A fresh home: under the project (a user plugin there resolves `@kora/runtime` from the
 * project's node_modules), or outside it, like `~/.kora` (the host provides its runtime).
 */
function home(name: string, where: 'in-project' | 'outside' = 'in-project'): string {
  const dir = join(where === 'outside' ? root : project, 'homes', name);
  mkdirSync(join(dir, 'plugins'), { recursive: true });
  return dir;
}

function env(kHome: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: root, KORA_HOME: kHome, KORA_LOG_LEVEL: 'warn', ...extra };
}

function writeConfig(yaml: string, file = 'kora.yaml'): string {
  const path = join(project, file);
  writeFileSync(path, `# written by test/e2e/packaging.test.ts\n${yaml}`);
  return path;
}

function kora(args: string[], kHome: string, extra: Record<string, string> = {}) {
  return runBin(bin, args, { cwd: project, env: env(kHome, extra) });
}

function startGateway(args: string[], kHome: string) {
  const r = startBin(bin, ['daemon', ...args], { cwd: project, env: env(kHome, { KORA_DEPLOY_ENV: 'e2e' }) });
  running.push(r);
  return r;
}

interface IdentityJson {
  agentName: string;
  source: { kind: 'plugin'; pluginId: string } | { kind: 'file'; path: string };
  systemPromptChars: number;
  soulChars: number;
  metadata: Record<string, unknown>;
}

function identity(kHome: string): IdentityJson {
  const r = kora(['identity', '--json'], kHome);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as IdentityJson;
}

interface PluginJson {
  id: string;
  version: string;
  source: string;
  thirdParty: boolean;
  path: string;
  state: string;
  error: string | null;
  shadows: { source: string; dir: string }[];
}

function pluginsList(kHome: string): PluginJson[] {
  const r = kora(['plugins', 'list', '--json'], kHome);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as PluginJson[];
}

/** A copy of the installed marvin as a user plugin in `kHome`, which shadows the installed one. */
function marvinCopy(kHome: string, change: (dir: string) => void): string {
  const dir = join(kHome, 'plugins', 'marvin');
  cpSync(join(project, 'node_modules', 'kora-plugin-marvin'), dir, { recursive: true });
  change(dir);
  return dir;
}

const NOT_IN_A_TARBALL = [/(^|\/)(src|test|tests|__fixtures__|fixtures)\//, /\.test\.[cm]?[jt]s/, /\.test-helper\./, /\.tsbuildinfo$/, /(?<!\.d)\.ts$/];

describe('npm pack --workspaces', () => {
  it('packs every package a user installs, and no tests, fixtures or sources', () => {
    expect(packed.map((p) => p.name)).toEqual(expect.arrayContaining(INSTALLED));
    for (const p of packed) {
      for (const file of p.files) for (const pattern of NOT_IN_A_TARBALL) expect(file, `${p.name}: ${file}`).not.toMatch(pattern);
    }
  });

  it('packs the runtime with its bin, compiled entry points and type declarations', () => {
    const files = packed.find((p) => p.name === '@kora/runtime')?.files ?? [];
    expect(files).toEqual(expect.arrayContaining(['package.json', 'bin/kora.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js']));
  });

  it('packs each bundled plugin with its script and the entry that loads it (decision 0142), without a code cache', () => {
    const plugins = packed.filter((p) => p.name.startsWith('@kora/plugin-'));
    expect(plugins.length).toBeGreaterThanOrEqual(12);
    for (const p of plugins) {
      expect(p.files, p.name).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts']));
      expect(p.files.filter((f) => f.startsWith('dist/code-cache')), p.name).toEqual([]);
      expect(readFileSync(join(REPO, 'plugins', p.name.slice('@kora/plugin-'.length), 'dist/index.js'), 'utf8'), p.name).toContain('loadPluginScript');
    }
  });

  it('packs marvin with its compiled entry, types and persona files', () => {
    const files = packed.find((p) => p.name === 'kora-plugin-marvin')?.files ?? [];
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/index.js', 'dist/index.d.ts', 'data/MARVIN.md', 'data/system-prompt.md']));
  });
});

describe('installed from the tarballs', () => {
  it('installs real copies, not links to the repository', () => {
    for (const name of INSTALLED) {
      const dir = join(project, 'node_modules', name);
      expect(lstatSync(dir).isSymbolicLink(), name).toBe(false);
      expect(realpathSync(dir).startsWith(realpathSync(project)), name).toBe(true);
    }
    expect(realpathSync(bin)).toBe(realpathSync(join(project, 'node_modules/@kora/runtime/bin/kora.js')));
    expect(install.rebuilt.concat(install.seeded).map((p) => p.split('@')[0])).toContain('better-sqlite3');
  });

  it('finds marvin from the installed source and kora as bundled', () => {
    writeConfig('plugins:\n  enabled: [marvin, kora]\n');
    const plugins = pluginsList(home('list'));
    const marvin = plugins.find((p) => p.id === 'marvin');
    expect(marvin).toMatchObject({ source: 'installed', thirdParty: true, state: 'loaded', version: '1.0.0' });
    expect(marvin?.path).toBe(join(project, 'node_modules', 'kora-plugin-marvin'));
    expect(plugins.find((p) => p.id === 'kora')).toMatchObject({ source: 'bundled', thirdParty: false, state: 'loaded' });
  });

  it('loads the bundled plugins by their scripts without their entries (decision 0176), one that imports another too, and marvin by its entry', () => {
    writeConfig('plugins:\n  enabled: [kora, web, alerts, marvin]\n');
    const r = kora(['plugins', 'list', '--json'], home('via'), { KORA_LOG_LEVEL: 'debug' });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
    const via = Object.fromEntries(lines.map((l) => JSON.parse(l) as { plugin?: string; via?: string }).flatMap((j) => (j.via ? [[j.plugin, j.via]] : [])));
    expect(via).toEqual({ kora: 'script', web: 'script', alerts: 'script', marvin: 'entry' });
    expect((JSON.parse(r.stdout) as PluginJson[]).filter((p) => p.state === 'loaded').map((p) => p.id).sort()).toEqual(['alerts', 'kora', 'marvin', 'web']);
  });
});

describe('identity chosen by plugins.enabled order', () => {
  it.each([
    ['[marvin, kora]', 'Marvin', 'marvin'],
    ['[kora, marvin]', 'Kora', 'kora'],
    ['[kora]', 'Kora', 'kora'],
    ['[marvin]', 'Marvin', 'marvin'],
  ])('enabled: %s → %s', (enabled, agentName, pluginId) => {
    writeConfig(`plugins:\n  enabled: ${enabled}\n`);
    const id = identity(home('order'));
    expect(id).toMatchObject({ agentName, source: { kind: 'plugin', pluginId } });
    expect(id.metadata).toMatchObject({ agent_name: agentName, plugin_name: pluginId });
    expect(id.systemPromptChars).toBeGreaterThan(0);
    if (pluginId === 'marvin') expect(id.metadata).toMatchObject({ version: '1.0.0', persona: 'paranoid_android_demo' });
  });

  it('lets plugins.disabled win: disabled [marvin] with enabled [marvin, kora] → Kora', () => {
    writeConfig('plugins:\n  enabled: [marvin, kora]\n  disabled: [marvin]\n');
    expect(identity(home('order'))).toMatchObject({ agentName: 'Kora', source: { kind: 'plugin', pluginId: 'kora' } });
  });

  it('falls back to the identity files with enabled: []', () => {
    const dir = join(root, 'identity');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'system-prompt.md'), 'You are a plain file-based agent.\n');
    writeFileSync(join(dir, 'SOUL.md'), 'Quiet.\n');
    writeConfig(`plugins:\n  enabled: []\nidentity:\n  systemPromptPath: ${join(dir, 'system-prompt.md')}\n  soulPath: ${join(dir, 'SOUL.md')}\n`);
    const id = identity(home('order'));
    expect(id.source).toEqual({ kind: 'file', path: join(dir, 'system-prompt.md') });
    expect(id).toMatchObject({ systemPromptChars: 'You are a plain file-based agent.\n'.length, soulChars: 'Quiet.\n'.length });
  });

  it('fails closed with enabled: [] and no identity files', () => {
    writeConfig('plugins:\n  enabled: []\n');
    const r = kora(['identity', '--json'], home('order'));
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { name: 'IdentityError', code: 'KORA_ERR_IDENTITY_UNRESOLVED' } });
    expect(r.stderr).toMatch(/^kora: IdentityError: No plugin claimed an identity/m);
    expect(r.stderr).toContain('(KORA_ERR_IDENTITY_UNRESOLVED)');
  });

  it('refuses a marvin built for another host API, naming both versions, and boots as Kora', async () => {
    const kHome = home('host-api');
    const copy = marvinCopy(kHome, (dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { kora: { hostApi: string } };
      pkg.kora.hostApi = '^2.0.0';
      writeJson(join(dir, 'package.json'), pkg);
    });
    writeConfig('plugins:\n  enabled: [marvin, kora]\n');
    const refusal = 'Plugin "marvin" 1.0.0 requires host API ^2.0.0, but this Kora runtime provides host API 1.1.0';
    const marvin = pluginsList(kHome).find((p) => p.id === 'marvin');
    expect(marvin).toMatchObject({ source: 'user', path: copy, state: 'failed' });
    expect(marvin?.error).toContain(refusal);
    expect(marvin?.shadows).toEqual([{ source: 'installed', dir: join(project, 'node_modules', 'kora-plugin-marvin') }]);

    const gw = startGateway([], kHome);
    await gw.waitFor('Kora gateway DEGRADED');
    expect(gw.stdout()).toMatch(/identity +Kora \(plugin kora\)/);
    expect(gw.stdout()).toContain(`FAILED marvin: ${refusal}`);
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });

  it('fails only marvin when its persona file is missing, and the gateway boots as Kora', async () => {
    const kHome = home('missing-data', 'outside');
    const copy = marvinCopy(kHome, (dir) => rmSync(join(dir, 'data', 'MARVIN.md')));
    writeConfig('plugins:\n  enabled: [marvin, kora]\n');
    const gw = startGateway([], kHome);
    await gw.waitFor('Kora gateway DEGRADED');
    expect(gw.stdout()).toMatch(/identity +Kora \(plugin kora\)/);
    expect(gw.stdout()).toContain(`FAILED marvin: Plugin "marvin" failed in register(): cannot read its persona ${join(copy, 'data', 'MARVIN.md')}: the file does not exist.`);
    expect(kora(['status', '--json'], kHome).code).toBe(0);
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });
});

describe('several agents on one install', () => {
  it('runs two gateways at once, one as Kora and one as Marvin, each with its own home, store and status', async () => {
    const homes = { kora: home('agent-kora'), marvin: home('agent-marvin') };
    const configs = {
      kora: writeConfig('plugins:\n  enabled: [kora, marvin]\ngateway:\n  drainBudget: 2s\n', 'agent-kora.yaml'),
      marvin: writeConfig('plugins:\n  enabled: [marvin, kora]\ngateway:\n  drainBudget: 3s\n', 'agent-marvin.yaml'),
    };
    const gateways = {
      kora: startGateway(['--config', configs.kora], homes.kora),
      marvin: startGateway(['--config', configs.marvin], homes.marvin),
    };
    await Promise.all([gateways.kora.waitFor('Kora gateway running'), gateways.marvin.waitFor('Kora gateway running')]);
    expect(gateways.kora.stdout()).toMatch(/identity +Kora \(plugin kora\)/);
    expect(gateways.marvin.stdout()).toMatch(/identity +Marvin \(plugin marvin\)/);

    for (const agent of ['kora', 'marvin'] as const) {
      const r = kora(['status', '--json', '--config', configs[agent]], homes[agent]);
      expect(r.code, r.stderr).toBe(0);
      const { running: isRunning, status } = JSON.parse(r.stdout) as { running: boolean; status: { pid: number; state: string; home: string; store: { location: string }; identity: { agentName: string } } };
      expect(isRunning).toBe(true);
      expect(status).toMatchObject({ pid: gateways[agent].child.pid, state: 'running', home: homes[agent], identity: { agentName: agent === 'kora' ? 'Kora' : 'Marvin' } });
      expect(status.store.location).toBe(join(homes[agent], 'kora.db'));
      expect(existsSync(join(homes[agent], 'kora.db'))).toBe(true);
    }
    // Both were up at the same time: each status above was read while the other ran.
    expect(gateways.kora.child.exitCode).toBeNull();
    expect(gateways.marvin.child.exitCode).toBeNull();

    gateways.kora.child.kill('SIGTERM');
    gateways.marvin.child.kill('SIGTERM');
    expect((await gateways.kora.exited).code).toBe(0);
    expect((await gateways.marvin.exited).code).toBe(0);
    expect(kora(['status', '--config', configs.marvin], homes.marvin).code).toBe(3);
  });
});

describe('kora plugins enable/disable on the installed project', () => {
  it('reorders and disables plugins in a commented kora.yaml, changing the identity', () => {
    const kHome = home('cli');
    const file = writeConfig('plugins:\n  # Kora speaks unless told otherwise.\n  enabled:\n    - kora    # the agent\n    - marvin  # on trial\n');
    const before = readFileSync(file, 'utf8');
    expect(identity(kHome).agentName).toBe('Kora');

    expect(kora(['plugins', 'enable', 'marvin', '--first'], kHome).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(before.replace('    - kora    # the agent\n    - marvin  # on trial\n', '    - marvin  # on trial\n    - kora    # the agent\n'));
    expect(identity(kHome).agentName).toBe('Marvin');

    expect(kora(['plugins', 'disable', 'marvin'], kHome).code).toBe(0);
    expect(identity(kHome).agentName).toBe('Kora');

    const unknown = kora(['plugins', 'enable', 'hal'], kHome);
    expect(unknown.code).toBe(2);
    // Every bundled plugin, then the installed ones.
    expect(unknown.stderr).toMatch(/No plugin "hal" was found\. Found: (?:[a-z]+ \(bundled\), )+marvin \(installed\)/);
    for (const bundled of ['email', 'kora', 'webhooks']) expect(unknown.stderr).toContain(`${bundled} (bundled)`);

    const info = kora(['plugins', 'info', 'kora', '--json'], kHome);
    expect(JSON.parse(info.stdout)).toMatchObject({ id: 'kora', source: 'bundled', registered: { identityProvider: true } });
  });
});

describe('the plugin of docs/writing-a-plugin.md, built from its folder', () => {
  const EXAMPLE = join(REPO, 'docs/examples/hello-plugin');
  const guide = readFileSync(join(REPO, 'docs/writing-a-plugin.md'), 'utf8');
  /** The fenced blocks of the guide marked `<!-- <marker>: <path> -->`, by path. */
  const blocks = (marker: string) =>
    new Map([...guide.matchAll(new RegExp(`<!-- ${marker}: (\\S+) -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\`\\n`, 'g'))].map((m) => [m[1] ?? '', m[2] ?? '']));
  let hello: PackedPackage;

  beforeAll(() => {
    const dir = join(project, 'hello-plugin');
    cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !/[\\/](node_modules|dist)$|\.tgz$/.test(src) });
    // Its folder sits in the project, so it compiles against the installed @kora/runtime, zod and TypeScript.
    [hello] = pack(dir, join(root, 'tarballs')) as [PackedPackage];
    installTarballs(project, [hello.tarball]);
  }, 300_000);

  it('shows every file of the example in the guide, exactly', () => {
    const shown = blocks('example');
    const files = ['package.json', 'tsconfig.json', 'data/system-prompt.md', 'src/index.ts', 'src/index.test.ts'];
    expect([...shown.keys()].sort()).toEqual([...files].sort());
    for (const file of files) expect(shown.get(file), file).toBe(readFileSync(join(EXAMPLE, file), 'utf8'));
  });

  it('packs compiled code, types and data, without its sources or tests', () => {
    expect(hello.files.sort()).toEqual(['data/system-prompt.md', 'dist/index.d.ts', 'dist/index.js', 'package.json']);
  });

  it('passes its own tests (the guide\'s "test your plugin" step) against the installed runtime', () => {
    const r = spawnSync('npm', ['test'], { cwd: join(project, 'hello-plugin'), env: npmEnv(), encoding: 'utf8', timeout: 120_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/# pass 3/);
  });

  it('loads from the installed source with the guide\'s kora.yaml: identity, hook, daemon task and store', async () => {
    const config = blocks('example-project').get('kora.yaml');
    expect(config).toBeDefined();
    writeConfig(config ?? '');
    const kHome = home('hello');
    const info = JSON.parse(kora(['plugins', 'info', 'hello', '--json'], kHome).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({
      source: 'installed',
      state: 'loaded',
      registered: { hooks: ['pre_agent_identity_set', 'gateway_started'], daemons: ['hello'], identityProvider: true },
    });
    expect(identity(kHome)).toMatchObject({ agentName: 'Hallo', source: { kind: 'plugin', pluginId: 'hello' }, metadata: { agent_name: 'Hallo', plugin_name: 'hello' } });

    const start = () => {
      const gw = startBin(bin, ['daemon'], { cwd: project, env: env(kHome, { KORA_DEPLOY_ENV: 'e2e', KORA_LOG_LEVEL: 'info' }) });
      running.push(gw);
      return gw;
    };
    const gw = start();
    await gw.waitFor('Kora gateway running');
    expect(gw.stdout()).toMatch(/identity +Hallo \(plugin hello\)/);
    expect(gw.stdout()).toMatch(/daemons +1 running: hello;/);
    expect(gw.stdout()).toMatch(/hello\.greet \(hello\): every 1s/);
    await gw.waitForErr('Hallo sees the gateway running');
    await gw.waitForErr('Hallo says hello (#1)', 5000);
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);

    // The counter lives in this home's store: a second run starts from it.
    const again = start();
    await again.waitForErr(/Hallo starts; [1-9]\d* greetings so far/);
    again.child.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  });

  it('refuses a config its schema rejects, naming the field (exit 2)', () => {
    writeConfig('plugins:\n  enabled: [hello]\n  config:\n    hello: { name: 42, nmae: Hallo }\n');
    const r = kora(['plugins', 'list'], home('hello-bad'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/plugins\.config\.hello\.name \(line 5\): /);
    expect(r.stderr).toMatch(/plugins\.config\.hello \(line 5\): .*nmae/);
  });
});
