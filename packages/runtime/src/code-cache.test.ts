// The built runtime's loader (dist/load.js, decision 0140): one instance of the runtime script
// for every entry point, and a V8 code cache written, read back, rebuilt when V8 rejects it,
// and off under NODE_DISABLE_COMPILE_CACHE. Checked on a copy of the build in a temp folder,
// each step a fresh Node process, so the repository's own cache is never touched.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as source from './index.js';

const DIST = join(import.meta.dirname, '../dist');
let dir: string;

/** Import the copied entry points in a fresh process; print what the loader says of the cache. */
function run(env: Record<string, string> = {}): { status: Record<string, { file: string | null; read: boolean; accepted: boolean }>; same: boolean; names: string[] } {
  const body = `const index = await import('./index.js');
const internal = await import('./internal.js');
const { codeCacheStatus } = await import('./load.js');
// An error the internals throw is an instance of the class plugins import: one copy of each class.
const err = await Promise.resolve().then(() => internal.loadConfigFile('/nonexistent/kora.yaml')).then(() => null, (e) => e);
process.stdout.write(JSON.stringify({ status: codeCacheStatus(), same: err instanceof index.KoraError && err instanceof index.ConfigError, names: Object.keys(index) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', body], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '', ...env }, timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ReturnType<typeof run>;
}

const cacheFiles = () => (existsSync(join(dir, 'code-cache')) ? readdirSync(join(dir, 'code-cache')) : []);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kora-code-cache-'));
  for (const file of ['load.js', 'load.cjs', 'runtime.cjs', 'index.js', 'internal.js']) copyFileSync(join(DIST, file), join(dir, file));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the runtime script and its code cache', () => {
  it('re-exports every binding of the sources, from one instance for all entry points', () => {
    const first = run();
    expect(first.same).toBe(true);
    expect(first.names.sort()).toEqual(Object.keys(source).sort());
  });

  it('is compiled without a cache the first time, writes one at exit, and reads it back accepted', () => {
    rmSync(join(dir, 'code-cache'), { recursive: true, force: true });
    const first = run();
    expect(first.status.runtime).toMatchObject({ read: false, accepted: false });
    expect(first.status.runtime?.file).toMatch(new RegExp(`code-cache/runtime-[0-9a-f]{16}-${process.version}-${process.arch}\\.v8$`));
    expect(cacheFiles()).toHaveLength(1);
    expect(run().status.runtime).toMatchObject({ read: true, accepted: true });
  });

  it('rebuilds a cache V8 rejects, and still runs', () => {
    const [name] = cacheFiles();
    writeFileSync(join(dir, 'code-cache', name!), Buffer.alloc(4096, 7));
    expect(run().status.runtime).toMatchObject({ read: true, accepted: false });
    expect(readFileSync(join(dir, 'code-cache', name!)).equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(run().status.runtime).toMatchObject({ read: true, accepted: true });
  });

  it('keeps a cache of its own for a process started with other V8 options, so neither rejects the other', () => {
    const plain = run().status.runtime!;
    const withOptions = run({ NODE_OPTIONS: '--max-old-space-size=200' }).status.runtime!;
    expect(withOptions.file).toMatch(/-o[0-9a-f]+\.v8$/);
    expect(withOptions.file).not.toBe(plain.file);
    expect(run({ NODE_OPTIONS: '--max-old-space-size=200' }).status.runtime).toMatchObject({ read: true, accepted: true });
    expect(run().status.runtime).toMatchObject({ file: plain.file, read: true, accepted: true });
  });

  it('neither reads nor writes one under NODE_DISABLE_COMPILE_CACHE', () => {
    rmSync(join(dir, 'code-cache'), { recursive: true, force: true });
    expect(run({ NODE_DISABLE_COMPILE_CACHE: '1' }).status.runtime).toEqual({ file: null, read: false, accepted: false });
    expect(cacheFiles()).toEqual([]);
    mkdirSync(join(dir, 'code-cache'));
  });

  it('is ASCII, so the loader can read it as latin1', () => {
    expect(/[^\p{ASCII}]/u.test(readFileSync(join(DIST, 'runtime.cjs'), 'utf8'))).toBe(false);
    expect(/[^\p{ASCII}]/u.test(readFileSync(join(DIST, 'http.cjs'), 'utf8'))).toBe(false);
  });
});

// A bundled plugin ships the same way (decision 0142): `dist/index.cjs`, its own code bundled,
// loaded by the generated entry `dist/index.js` through `@kora/runtime/load` with a cache of its
// own. Checked on a copy of the built runtime and of the web plugin in a temp project.
describe('a bundled plugin’s script and its code cache', () => {
  const WEB = join(import.meta.dirname, '../../../plugins/web');
  let project: string;
  let webDir: string;

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'kora-plugin-script-'));
    const runtime = join(project, 'node_modules/@kora/runtime');
    mkdirSync(join(runtime, 'dist'), { recursive: true });
    copyFileSync(join(DIST, '../package.json'), join(runtime, 'package.json'));
    for (const file of ['load.js', 'load.cjs', 'runtime.cjs', 'index.js', 'http.js', 'http.cjs']) copyFileSync(join(DIST, file), join(runtime, 'dist', file));
    webDir = join(project, 'node_modules/@kora/plugin-web');
    mkdirSync(join(webDir, 'dist'), { recursive: true });
    copyFileSync(join(WEB, 'package.json'), join(webDir, 'package.json'));
    for (const file of ['index.js', 'index.cjs']) copyFileSync(join(WEB, 'dist', file), join(webDir, 'dist', file));
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  function runWeb(): { status: { file: string | null; read: boolean; accepted: boolean }; id: string; names: string[]; escaped: string; sameRuntime: boolean } {
    const body = `const web = await import('@kora/plugin-web');
const runtime = await import('@kora/runtime');
const { codeCacheStatus } = await import('@kora/runtime/load');
process.stdout.write(JSON.stringify({ status: codeCacheStatus()['kora-plugin-web'], id: web.default.id, names: Object.keys(web),
  escaped: web.escapeHtml('<b>"x"</b>'), sameRuntime: Object.keys(codeCacheStatus()).sort().join() === 'http,kora-plugin-web,runtime' && typeof runtime.definePlugin === 'function' }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', body], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '' }, timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as ReturnType<typeof runWeb>;
  }

  it('re-exports every binding of the plugin’s sources, and runs them', async () => {
    const source = (await import(/* @vite-ignore */ pathToFileURL(join(WEB, 'src/index.ts')).href)) as Record<string, unknown>;
    const first = runWeb();
    expect(first.names.sort()).toEqual(Object.keys(source).sort());
    expect(first.id).toBe('web');
    expect(first.escaped).toBe((source.escapeHtml as (s: string) => string)('<b>"x"</b>'));
    expect(first.sameRuntime).toBe(true);
  });

  it('is compiled without a cache the first time, writes one beside itself at exit, and reads it back accepted', () => {
    rmSync(join(webDir, 'dist/code-cache'), { recursive: true, force: true });
    const first = runWeb().status;
    expect(first).toMatchObject({ read: false, accepted: false });
    expect(first.file).toMatch(new RegExp(`plugin-web/dist/code-cache/kora-plugin-web-[0-9a-f]{16}-${process.version}-${process.arch}\\.v8$`));
    expect(readdirSync(join(webDir, 'dist/code-cache'))).toHaveLength(1);
    expect(runWeb().status).toMatchObject({ read: true, accepted: true });
  });

  it('is ASCII, so the loader can read it as latin1', () => {
    expect(/[^\p{ASCII}]/u.test(readFileSync(join(WEB, 'dist/index.cjs'), 'utf8'))).toBe(false);
  });
});

// Fastify's schema compilers are required at their first use (decision 0143): a route with a
// schema still validates its body (formats included) and serializes its reply by the schema.
describe('@kora/runtime/http with its lazily required schema compilers', () => {
  it('validates a body and serializes a reply by their schemas', () => {
    const body = `const { Fastify } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'http.js')).href)});
const app = Fastify({ logger: false });
const schema = { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' }, day: { type: 'string', format: 'date' } } },
  response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } } };
app.post('/s', { schema }, async (req) => ({ n: req.body.n, secret: 'not in the schema' }));
const ok = await app.inject({ method: 'POST', url: '/s', payload: { n: 3, day: '2026-12-01' } });
const bad = await app.inject({ method: 'POST', url: '/s', payload: { n: 'x' } });
const badDay = await app.inject({ method: 'POST', url: '/s', payload: { n: 1, day: 'soon' } });
process.stdout.write(JSON.stringify([ok.statusCode, ok.body, bad.statusCode, bad.json().message, badDay.statusCode, badDay.json().message]));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' }, timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([200, '{"n":3}', 400, 'body/n must be integer', 400, 'body/day must match format "date"']);
  });

  it('limits IPv6 senders per /64, lists a static root with wildcard: false and answers 404 for a missing file, their libraries required on first use', () => {
    const root = mkdtempSync(join(tmpdir(), 'kora-static-'));
    mkdirSync(join(root, 'css'));
    writeFileSync(join(root, 'css', 'a.css'), 'body{}');
    const body = `const { Fastify, fastifyRateLimit, fastifyStatic } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'http.js')).href)});
const limited = Fastify({ logger: false });
await limited.register(fastifyRateLimit, { max: 1, timeWindow: 60000 });
limited.get('/', async () => 'ok');
const codes = [];
for (const remoteAddress of ['2001:db8:1:2::1', '2001:db8:1:2::ffff', '2001:db8:1:3::1']) codes.push((await limited.inject({ url: '/', remoteAddress })).statusCode);
const files = Fastify({ logger: false });
await files.register(fastifyStatic, { root: ${JSON.stringify(root)}, wildcard: false });
const css = await files.inject({ url: '/css/a.css' });
// A file @fastify/send cannot serve (the default wildcard route): its http-errors error, required at that first use.
const wild = Fastify({ logger: false });
await wild.register(fastifyStatic, { root: ${JSON.stringify(root)} });
const missing = await wild.inject({ url: '/css/missing.css' });
process.stdout.write(JSON.stringify({ codes, css: [css.statusCode, css.body], missing: missing.statusCode, routes: files.printRoutes().includes('a.css') }));`;
    try {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' }, timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      // The second address is in the first one's /64: refused; the third is another /64.
      expect(JSON.parse(r.stdout)).toEqual({ codes: [200, 429, 200], css: [200, 'body{}'], missing: 404, routes: true });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('serves HTTP/1.1 without loading https or http2, and perf_hooks only at the first request; still builds a TLS or HTTP/2 server when asked (decisions 0176, 0177)', () => {
    const body = `const { Fastify } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'http.js')).href)});
const loaded = () => process.moduleLoadList.filter((m) => /^NativeModule (https|http2|perf_hooks)$/.test(m)).map((m) => m.slice(13));
const plain = Fastify({ logger: false });
let elapsed;
plain.get('/', async () => 'ok');
plain.addHook('onResponse', async (_request, reply) => { elapsed = reply.elapsedTime; });
await plain.listen({ host: '127.0.0.1', port: 0 });
const before = loaded();
const answer = (await plain.inject({ url: '/' })).body;
const timed = loaded().includes('perf_hooks') && typeof elapsed === 'number' && elapsed >= 0;
await plain.close();
const tls = Fastify({ logger: false, https: {} });
const h2 = Fastify({ logger: false, http2: true });
await Promise.all([tls.ready(), h2.ready()]);
const { Server: HttpsServer } = await import('node:https');
process.stdout.write(JSON.stringify({ answer, before, timed, after: loaded().sort(), https: tls.server instanceof HttpsServer, http2: h2.server.constructor.name }));
await Promise.all([tls.close(), h2.close()]);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' }, timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ answer: 'ok', before: [], timed: true, after: ['http2', 'https', 'perf_hooks'], https: true, http2: 'Http2Server' });
  });

  it('routes static paths that share prefixes, params and constraints, compiling nothing as routes are added (decision 0176)', () => {
    const body = `const { Fastify } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'http.js')).href)});
let compiled = 0;
const F = globalThis.Function;
globalThis.Function = new Proxy(F, { construct: (t, args) => (compiled++, Reflect.construct(t, args)) });
const app = Fastify({ logger: false });
for (const url of ['/api/status', '/api/statistics', '/api/stat', '/api/tasks', '/api/task-runs', '/a-very-long-static-prefix/x', '/a-very-long-static-prefix/y']) app.get(url, async () => url);
app.get('/api/tasks/:name/run/:n', async (req) => req.params);
await app.ready();
const atReady = compiled;
globalThis.Function = F;
// Constrained handlers of one path (find-my-way compiles its constraint deriver once per router).
const hosts = Fastify({ logger: false });
hosts.get('/v', { constraints: { host: 'a.example' } }, async () => 'host a');
hosts.get('/v', { constraints: { host: 'b.example' } }, async () => 'host b');
hosts.get('/v', async () => 'any host');
const got = [];
for (const url of ['/api/status', '/api/statistics', '/api/stat', '/api/stats', '/api/statu', '/api/tasks', '/api/tasks/t1/run/7', '/api/task-runs', '/api/task-run', '/a-very-long-static-prefix/y', '/a-very-long-static-prefix/z']) {
  const r = await app.inject({ url });
  got.push(r.statusCode === 200 ? r.body : r.statusCode);
}
for (const host of ['a.example', 'b.example', 'c.example']) got.push((await hosts.inject({ url: '/v', headers: { host } })).body);
process.stdout.write(JSON.stringify({ got, atReady }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' }, timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      got: ['/api/status', '/api/statistics', '/api/stat', 404, 404, '/api/tasks', '{"name":"t1","n":"7"}', '/api/task-runs', 404, '/a-very-long-static-prefix/y', 404, 'host a', 'host b', 'any host'],
      atReady: 0,
    });
  });
});

describe('what the runtime script carries', () => {
  it("holds zod's English messages and no other locale (decision 0020), and z.locales says so", async () => {
    const map = JSON.parse(readFileSync(join(DIST, 'runtime.cjs.map'), 'utf8')) as { sources: string[] };
    const locales = map.sources.filter((s) => s.includes('zod/v4/locales/')).map((s) => s.replace(/.*zod\/v4\/locales\//, ''));
    expect(locales.sort()).toEqual(['en.js', 'index.js']);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const { z } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'index.js')).href)}); process.stdout.write(JSON.stringify({ locales: Object.keys(z.locales), message: z.string().safeParse(1).error.issues[0].message }))`], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ locales: ['en'], message: 'Invalid input: expected string, received number' });
  });

  it('hands plugins a zod that parses objects without compiling a parser at run time (jitless, decision 0176)', () => {
    const body = `const { z } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'index.js')).href)});
let compiled = 0;
const F = globalThis.Function;
globalThis.Function = new Proxy(F, { construct: (t, args) => (compiled++, Reflect.construct(t, args)) });
const schema = z.object({ name: z.string(), every: z.number().int().positive(), tags: z.array(z.string()).default([]) }).strict();
const ok = schema.safeParse({ name: 'a', every: 5 });
const bad = schema.safeParse({ name: 'a', every: -1, extra: 1 });
globalThis.Function = F;
process.stdout.write(JSON.stringify({ ok: ok.data, bad: bad.error.issues.map((i) => i.code), compiled }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: { name: 'a', every: 5, tags: [] }, bad: ['too_small', 'unrecognized_keys'], compiled: 0 });
  });
});
