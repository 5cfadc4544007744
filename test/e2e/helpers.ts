// Spawning the real `kora` bin for end-to-end tests, with temp homes and fixture plugins.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const KORA_BIN = join(REPO, 'packages/runtime/bin/kora.js');

export interface Project {
  dir: string;
  home: string;
  env: Record<string, string>;
  writeConfig(yaml: string): string;
  cleanup(): void;
}

/** A temp folder with a `kora.yaml` and a home; the env points KORA_HOME at it and sets no deploy env. */
export function makeProject(): Project {
  const dir = mkdtempSync(join(tmpdir(), 'kora-e2e-'));
  const home = join(dir, 'home');
  mkdirSync(join(home, 'plugins'), { recursive: true });
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, KORA_HOME: home, KORA_LOG_LEVEL: 'info' };
  return {
    dir,
    home,
    env,
    writeConfig(yaml) {
      const file = join(dir, 'kora.yaml');
      writeFileSync(file, yaml);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runKora(args: string[], project: Project, extraEnv: Record<string, string> = {}): RunResult {
  const r = spawnSync(process.execPath, [KORA_BIN, ...args], { cwd: project.dir, env: { ...project.env, ...extraEnv }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stdout contains `text`; rejects if the process exits first or after `ms`. */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
  /** The same, on stderr. */
  waitForErr(text: string | RegExp, ms?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startKora(args: string[], project: Project, extraEnv: Record<string, string> = {}): Running {
  return startProcess(process.execPath, [KORA_BIN, ...args], { cwd: project.dir, env: { ...project.env, ...extraEnv } });
}

/** Start a long-running process with its output collected, to wait on. */
export function startProcess(command: string, args: string[], options: { cwd: string; env: Record<string, string> }): Running {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const text = { out: '', err: '' };
  const waiters: (() => void)[] = [];
  const collect = (stream: 'out' | 'err') => (d: Buffer) => {
    text[stream] += d.toString();
    for (const w of waiters) w();
  };
  child.stdout.on('data', collect('out'));
  child.stderr.on('data', collect('err'));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  const waitOn = (stream: 'out' | 'err', pattern: string | RegExp, ms = 20_000) => {
    const matches = () => (typeof pattern === 'string' ? text[stream].includes(pattern) : pattern.test(text[stream]));
    return new Promise<void>((res, rej) => {
      if (matches()) return res();
      const timer = setTimeout(() => rej(new Error(`timed out waiting for ${String(pattern)} on std${stream}\nstdout:\n${text.out}\nstderr:\n${text.err}`)), ms);
      waiters.push(() => {
        if (matches()) {
          clearTimeout(timer);
          res();
        }
      });
      void exited.then(({ code }) => {
        clearTimeout(timer);
        if (!matches()) rej(new Error(`${command} exited (${code}) before printing ${String(pattern)}\nstdout:\n${text.out}\nstderr:\n${text.err}`));
      });
    });
  };
  return {
    child,
    stdout: () => text.out,
    stderr: () => text.err,
    exited,
    waitFor: (pattern, ms) => waitOn('out', pattern, ms),
    waitForErr: (pattern, ms) => waitOn('err', pattern, ms),
  };
}

/** SIGKILL whatever a test left running, and wait for it to go (for afterEach). */
export async function killAll(running: Running[]): Promise<void> {
  for (const r of running.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) {
      r.child.kill('SIGKILL');
      await r.exited;
    }
  }
}

/** A plain-JS plugin in `$KORA_HOME/plugins/<id>`: needs no import at all. */
export function writeUserPlugin(project: Project, id: string, source: string, manifest: Record<string, unknown> = {}): void {
  const dir = join(project.home, 'plugins', id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `kora-plugin-${id}`, version: '1.0.0', type: 'module', kora: { id, entry: './index.js', hostApi: '^1.0.0', ...manifest } }));
  writeFileSync(join(dir, 'index.js'), source);
}

/**
 * Poll until `check()` holds (or resolves true: a request to the gateway; a check that throws, e.g. on a status file not written yet,
 * counts as not yet). The process under test runs on the wall clock, so this polls it.
 */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not there yet
    }
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
