import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readPluginPackage } from '../plugins/manifest.js';
import { HOST_API_VERSION } from '../version.js';
import { main } from './main.js';
import type { Io } from './output.js';
import { runtimeDependency, scaffoldFiles } from './plugin-scaffold.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kora-plugins-new-'));
  dirs.push(dir);
  return dir;
}

function capture(): Io & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out: (t) => void out_.push(t), err: (t) => void err_.push(t), out_, err_ };
}

const runtimeVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('kora plugins new', () => {
  it('writes kora-plugin-<id> in the working directory: a valid manifest, ESM, scripts, the runtime as peer and dev dependency', async () => {
    const cwd = tempDir();
    const io = capture();
    expect(await main(['plugins', 'new', 'demo'], io, {}, cwd)).toBe(0);
    const dir = join(cwd, 'kora-plugin-demo');
    expect(readdirSync(dir).sort()).toEqual(['.gitignore', 'README.md', 'package.json', 'src', 'tsconfig.json']);
    expect(readdirSync(join(dir, 'src')).sort()).toEqual(['index.test.ts', 'index.ts']);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(pkg).toMatchObject({
      name: 'kora-plugin-demo',
      type: 'module',
      scripts: { build: 'tsc', test: 'tsc && node --test dist/index.test.js', prepack: 'npm run build' },
      files: ['dist', '!dist/**/*.test.*'],
      peerDependencies: { '@kora/runtime': `^${runtimeVersion}` },
      devDependencies: { '@kora/runtime': `^${runtimeVersion}` },
    });
    // The manifest is one the gateway accepts, asking for the host API this runtime provides.
    expect(readPluginPackage(dir).manifest).toMatchObject({ id: 'demo', entry: './dist/index.js', hostApi: `^${HOST_API_VERSION}`, hooks: ['gateway_started'], daemons: ['demo'] });
    const index = readFileSync(join(dir, 'src/index.ts'), 'utf8');
    expect(index).toContain("import { definePlugin, duration, z } from '@kora/runtime';");
    expect(index).toContain("name: 'demo.tick'");
    expect(readFileSync(join(dir, 'src/index.test.ts'), 'utf8')).toContain("from '@kora/runtime/testing'");
    expect(io.out_.join('\n')).toContain('npm install && npm test');
  });

  it('takes the runtime from a path or a tarball with --runtime, as an absolute file: spec', async () => {
    const cwd = join(tempDir(), 'project');
    mkdirSync(join(cwd, '..', 'tarballs'), { recursive: true });
    mkdirSync(cwd);
    writeFileSync(join(cwd, '..', 'tarballs', 'kora-runtime-0.1.0.tgz'), '');
    expect(await main(['plugins', 'new', 'demo', '--dir', 'p', '--runtime', '../tarballs/kora-runtime-0.1.0.tgz'], capture(), {}, cwd)).toBe(0);
    const pkg = JSON.parse(readFileSync(join(cwd, 'p', 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; peerDependencies: Record<string, string> };
    expect(pkg.devDependencies['@kora/runtime']).toBe(`file:${join(cwd, '..', 'tarballs', 'kora-runtime-0.1.0.tgz')}`);
    expect(pkg.peerDependencies['@kora/runtime']).toBe(`^${runtimeVersion}`);
    expect(runtimeDependency('^0.2.0', cwd)).toBe('^0.2.0');
    expect(runtimeDependency('file:rt', '/x')).toBe('file:/x/rt');
    expect(runtimeDependency('/abs/runtime', '/x')).toBe('file:/abs/runtime');
  });

  it('refuses a --runtime path that does not exist, writing nothing', async () => {
    const cwd = tempDir();
    const io = capture();
    expect(await main(['plugins', 'new', 'demo', '--runtime', './kora-runtme-0.1.0.tgz'], io, {}, cwd)).toBe(2);
    expect(io.err_.join('\n')).toMatch(/--runtime \.\/kora-runtme-0\.1\.0\.tgz: .*kora-runtme-0\.1\.0\.tgz does not exist\. Pass the packed runtime[\s\S]*KORA_ERR_USAGE/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("warns when the id is a bundled plugin's, which the new one would shadow", async () => {
    const cwd = tempDir();
    const io = capture();
    expect(await main(['plugins', 'new', 'web'], io, {}, cwd)).toBe(0); // the repository's plugins/web is bundled here
    expect(io.err_.join('\n')).toMatch(/^kora: warning: "web" is the id of the bundled plugin at .*web: installed beside it, this plugin would shadow it/m);
    const quiet = capture();
    expect(await main(['plugins', 'new', 'weather'], quiet, {}, cwd)).toBe(0);
    expect(quiet.err_).toEqual([]);
  });

  it('refuses a folder that has anything in it, writing nothing', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'kora-plugin-demo'));
    writeFileSync(join(cwd, 'kora-plugin-demo', 'notes.txt'), 'mine');
    const io = capture();
    expect(await main(['plugins', 'new', 'demo'], io, {}, cwd)).toBe(2);
    expect(io.err_.join('\n')).toMatch(/kora-plugin-demo already exists and is not an empty folder[\s\S]*KORA_ERR_SCAFFOLD_EXISTS/);
    expect(readdirSync(join(cwd, 'kora-plugin-demo'))).toEqual(['notes.txt']);
  });

  it('refuses an id the manifest would refuse', async () => {
    const io = capture();
    expect(await main(['plugins', 'new', 'My Plugin'], io, {}, tempDir())).toBe(2);
    expect(io.err_.join('\n')).toMatch(/"My Plugin" cannot be a plugin id: an id is lowercase letters/);
  });
});

describe('the guide, docs/writing-a-plugin.md', () => {
  it('shows the files `kora plugins new demo` writes, exactly', () => {
    const guide = readFileSync(new URL('../../../../docs/writing-a-plugin.md', import.meta.url), 'utf8');
    const shown = new Map([...guide.matchAll(/<!-- generated: (\S+) -->\n```\w*\n([\s\S]*?)```\n/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    const files = scaffoldFiles({ id: 'demo', runtimeSpec: `^${runtimeVersion}`, runtimeVersion, hostApi: HOST_API_VERSION });
    expect([...shown.keys()].sort()).toEqual(['package.json', 'src/index.test.ts', 'src/index.ts', 'tsconfig.json']);
    for (const [path, text] of shown) expect(text, path).toBe(files[path]);
  });
});
