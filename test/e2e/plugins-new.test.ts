// A plugin author's first hour, outside the repository: the runtime packed into a tarball and
// installed in an empty project, `kora init` there, `kora plugins new demo --runtime <tarball>`,
// then the generated package's own `npm install && npm test`, `npm pack`, and a gateway that
// loads the packed plugin once enabled and runs its task. One packed runtime serves every step.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll, REPO, type Running } from './helpers.js';
import { installTarballs, npmEnv, pack, runBin, startBin, writeJson, type PackedPackage } from './installed-project.js';

let root: string;
let project: string;
let kHome: string;
let bin: string;
let runtime: PackedPackage;
let koraPlugin: PackedPackage;
const pluginDir = () => join(root, 'kora-plugin-demo');

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: root, KORA_HOME: kHome, KORA_LOG_LEVEL: 'warn', ...extra };
}

function kora(args: string[], cwd = project) {
  return runBin(bin, args, { cwd, env: env() });
}

beforeAll(() => {
  if (!existsSync(join(REPO, 'packages/runtime/dist/cli/main.js'))) throw new Error('packages/runtime/dist is missing: build first (npm run build; npm test does it)');
  root = mkdtempSync(join(tmpdir(), 'kora-plugins-new-'));
  project = join(root, 'agent');
  kHome = join(root, 'home');
  mkdirSync(join(root, 'tarballs'));
  mkdirSync(project);
  // --ignore-scripts: pack the dist this run was built with (see packaging.test.ts).
  [runtime] = pack(join(REPO, 'packages/runtime'), join(root, 'tarballs'), ['--ignore-scripts']) as [PackedPackage];
  [koraPlugin] = pack(join(REPO, 'plugins/kora'), join(root, 'tarballs'), ['--ignore-scripts']) as [PackedPackage];
  writeJson(join(project, 'package.json'), { name: 'my-agent', private: true, type: 'module' });
  installTarballs(project, [runtime.tarball, koraPlugin.tarball]);
  bin = join(project, 'node_modules', '.bin', 'kora');
}, 600_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const running: Running[] = [];
afterEach(async () => {
  await killAll(running);
});

describe('kora plugins new, outside the repository', () => {
  it('writes the package, pointed at the packed runtime', () => {
    const r = kora(['plugins', 'new', 'demo', '--runtime', runtime.tarball], root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Wrote kora-plugin-demo (plugin demo) in ${pluginDir()}:`);
    const pkg = JSON.parse(readFileSync(join(pluginDir(), 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies['@kora/runtime']).toBe(`file:${runtime.tarball}`);
  });

  it('installs, and passes its own tests against @kora/runtime/testing', () => {
    // Install scripts (better-sqlite3's compile) are seeded from the repository's identical build, as for the project.
    installTarballs(pluginDir(), []);
    const r = spawnSync('npm', ['test'], { cwd: pluginDir(), env: npmEnv(), encoding: 'utf8', timeout: 180_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/# pass 2/);
    expect(r.stdout).toMatch(/# fail 0/);
  }, 300_000);

  let demo: PackedPackage;
  it('packs its compiled code and types, without sources or tests', () => {
    [demo] = pack(pluginDir(), join(root, 'tarballs')) as [PackedPackage];
    expect(demo.name).toBe('kora-plugin-demo');
    expect(demo.files.sort()).toEqual(['README.md', 'dist/index.d.ts', 'dist/index.js', 'package.json']);
  }, 180_000);

  it('is loaded by a gateway once enabled in the kora.yaml `kora init` wrote, and runs its task', async () => {
    expect(demo, 'the pack step ran').toBeDefined();
    installTarballs(project, [runtime.tarball, koraPlugin.tarball, demo.tarball]);
    const init = kora(['init']);
    expect(init.code, init.stderr).toBe(0);
    // The bundled plugin installed beside the runtime (@kora/plugin-kora) is enabled; the third-party one is not.
    expect(init.stdout).toContain('1 bundled plugin(s) enabled: kora.');
    // Not enabled yet: named, with the command that enables it.
    const list = kora(['plugins', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(`${list.stdout}\n${list.stderr}`).toMatch(/demo .*`kora plugins enable demo`/);
    const enable = kora(['plugins', 'enable', 'demo']);
    expect(enable.code, enable.stderr).toBe(0);
    const file = join(project, 'kora.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('  disabled: []\n', '  disabled: []\n  config:\n    demo: { every: 1s, greeting: Salut }\n'));
    const check = kora(['config', 'check']);
    expect(check.code, check.stderr).toBe(0);
    const info = kora(['plugins', 'info', 'demo']);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/source +installed/);
    expect(info.stdout).toMatch(/tasks +demo\.tick \(every 1s, daemon demo\)/);

    const gw = startBin(bin, ['daemon'], { cwd: project, env: env({ KORA_DEPLOY_ENV: 'e2e', KORA_LOG_LEVEL: 'info' }) });
    running.push(gw);
    await gw.waitFor(/identity +Kora \(plugin kora\)/, 20_000);
    expect(gw.stdout()).toMatch(/daemons +1 running: demo;/);
    await gw.waitForErr('Salut from demo (run #1)', 10_000);
  }, 300_000);
});
