import { readFleet } from '../fleet/view.js';
import { createOperations } from '../gateway/operations.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema, type KoraConfigInput } from '../config/schema.js';
import { DaemonRegistry } from '../daemons/registry.js';
import { ConfigError, PluginError } from '../errors.js';
import { HookBus } from '../hooks/hook-bus.js';
import { createSilentLogger } from '../log/logger.js';
import { ServiceRegistry } from '../services/registry.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { ManualClock } from '../time/clock.js';
import { discoverPlugins } from './discovery.js';
import { writePlugin } from './fixture-plugins.test-helper.js';
import { loadPlugins, type PluginHost } from './loader.js';
import { Attribution } from './attribution.js';
import { ContributionRegistry } from './contributions.js';
import { ToolPipeline } from './tool-pipeline.js';
import { ToolRegistry } from './tool-registry.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface World {
  root: string;
  home: string;
  bundled: string;
  host: PluginHost;
  store: Store;
}

async function world(): Promise<World> {
  const root = mkdtempSync(join(tmpdir(), 'kora-plugins-'));
  const home = join(root, 'home');
  const bundled = join(root, 'bundled');
  mkdirSync(home);
  mkdirSync(bundled);
  const store = await openStore({ url: 'sqlite::memory:', home });
  cleanup.push(() => rmSync(root, { recursive: true, force: true }), () => store.close());
  const logger = createSilentLogger();
  const clock = new ManualClock();
  const hooks = new HookBus({ logger, clock });
  const tools = new ToolRegistry();
  const attribution = new Attribution();
  const host: PluginHost = {
    hooks,
    services: new ServiceRegistry(),
    daemons: new DaemonRegistry(),
    tools,
    toolPipeline: new ToolPipeline({ tools, hooks, clock, logger, attribution }),
    contributions: new ContributionRegistry(),
    attribution,
    gateway: {
      sessionId: 'test',
      identity: () => null,
      status: () => {
        throw new Error('not used by these tests');
      },
      recentRuns: () => store.ledger.recent(),
      readAudit: (q) => store.audit.list(q),
      tailAudit: (c, o) => store.audit.tail(c, o),
      auditPage: (q) => store.audit.page(q),
      fleet: () => readFleet(store, { now: Date.now(), leaseMs: 15_000 }),
    },
    operations: createOperations({
      clock,
      logger,
      store: () => store,
      scheduler: () => undefined,
      stopping: () => false,
      stop: () => {},
      scrub: (v) => v,
      inboxChanged: () => {},
    }),
    inbox: { enqueue: (m) => store.inbox.enqueue(m) },
    store,
    logger,
    clock,
    home,
    env: {},
    deployEnv: 'test',
    configFile: join(root, 'kora.yaml'),
    registerTimeoutMs: 1000,
  };
  return { root, home, bundled, host, store };
}

/** Let the event loop turn until `done()` holds: real I/O (an import) finishes without waiting on the wall clock. */
async function until(done: () => boolean, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns && !done(); i++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}

function config(plugins: KoraConfigInput['plugins']) {
  return configSchema.parse({ plugins });
}

function discover(w: World, env: Record<string, string> = {}) {
  return discoverPlugins({ projectRoot: w.root, home: w.home, env, logger: w.host.logger, bundledDir: w.bundled });
}

describe('plugin discovery', () => {
  it('finds bundled, installed (scoped too), user and opt-in project plugins with their source', async () => {
    const w = await world();
    writePlugin(w.bundled, { id: 'core' });
    writePlugin(join(w.root, 'node_modules'), { id: 'plain' }, 'kora-plugin-plain');
    writePlugin(join(w.root, 'node_modules', '@acme'), { id: 'scoped' }, 'kora-plugin-scoped');
    writePlugin(join(w.root, 'node_modules', '@kora'), { id: 'official' }, 'plugin-official');
    writePlugin(join(w.home, 'plugins'), { id: 'mine' });
    writePlugin(join(w.root, '.kora', 'plugins'), { id: 'proj' });
    const sources = (d: ReturnType<typeof discover>) => Object.fromEntries([...d.plugins.values()].map((p) => [p.id, p.source]));
    expect(sources(discover(w))).toEqual({ core: 'bundled', plain: 'installed', scoped: 'installed', official: 'bundled', mine: 'user' });
    expect(sources(discover(w, { KORA_ENABLE_PROJECT_PLUGINS: '1' })).proj).toBe('project');
  });

  it('lets a later source win an id clash and records what it shadows', async () => {
    const w = await world();
    writePlugin(w.bundled, { id: 'kora', version: '1.0.0' });
    writePlugin(join(w.home, 'plugins'), { id: 'kora', version: '2.0.0' }, 'my-kora');
    const found = discover(w).plugins.get('kora');
    expect(found?.source).toBe('user');
    expect(found?.version).toBe('2.0.0');
    expect(found?.shadows).toEqual([{ source: 'bundled', dir: join(w.bundled, 'kora') }]);
  });

  it('remembers which node_modules packages may be plugins, and reads them all again once a package comes, goes or is replaced', async () => {
    const w = await world();
    const nodeModules = join(w.root, 'node_modules');
    writePlugin(nodeModules, { id: 'first' }, 'kora-plugin-first');
    mkdirSync(join(nodeModules, 'left-pad'), { recursive: true });
    writeFileSync(join(nodeModules, 'left-pad', 'package.json'), JSON.stringify({ name: 'left-pad', version: '1.0.0' }));
    const ids = () => [...discover(w).plugins.keys()].sort();
    expect(ids()).toEqual(['first']);
    const cache = JSON.parse(readFileSync(join(nodeModules, '.cache', 'kora', 'discovery.json'), 'utf8')) as { candidates: { name: string }[] };
    expect(cache.candidates.map((c) => c.name)).toEqual(['kora-plugin-first']);
    expect(ids()).toEqual(['first']); // from the cache: the same answer

    // A package edited in place is not looked at again (only the candidates are), until the folder changes.
    writeFileSync(join(nodeModules, 'left-pad', 'package.json'), JSON.stringify({ name: 'left-pad', kora: { id: 'pad', entry: './index.js', hostApi: '^1.0.0' } }));
    writeFileSync(join(nodeModules, 'left-pad', 'index.js'), 'export default { id: "pad", register() {} };');
    expect(ids()).toEqual(['first']);
    writePlugin(nodeModules, { id: 'second' }, 'kora-plugin-second'); // a new package folder
    expect(ids()).toEqual(['first', 'pad', 'second']);

    writePlugin(join(nodeModules, '@acme'), { id: 'scoped' }, 'kora-plugin-scoped'); // a new scope
    expect(ids()).toEqual(['first', 'pad', 'scoped', 'second']);
    writePlugin(join(nodeModules, '@acme'), { id: 'scoped2' }, 'kora-plugin-scoped2'); // into an existing scope
    expect(ids()).toEqual(['first', 'pad', 'scoped', 'scoped2', 'second']);

    rmSync(join(nodeModules, 'kora-plugin-first'), { recursive: true });
    expect(ids()).toEqual(['pad', 'scoped', 'scoped2', 'second']);

    // A candidate's manifest is read at every boot: never stale.
    writeFileSync(join(nodeModules, 'kora-plugin-second', 'package.json'), JSON.stringify({ name: 'kora-plugin-second', version: '9.9.9', kora: { id: 'second', entry: './index.js', hostApi: '^1.0.0' } }));
    expect(discover(w).plugins.get('second')?.version).toBe('9.9.9');

    // A cache that cannot be read is no cache.
    writeFileSync(join(nodeModules, '.cache', 'kora', 'discovery.json'), '{not json');
    expect(ids()).toEqual(['pad', 'scoped', 'scoped2', 'second']);
  });

  it('reports an invalid manifest naming the file and field, without importing it', async () => {
    const w = await world();
    const dir = writePlugin(w.bundled, { id: 'bad', manifest: { id: 'bad', entry: './index.js', hostApi: 7 }, prelude: 'throw new Error("imported!");' });
    const d = discover(w);
    expect(d.plugins.has('bad')).toBe(false);
    expect(d.invalid[0]?.error.message).toContain(join(dir, 'package.json'));
    expect(d.invalid[0]?.error.message).toContain('kora.hostApi');
    await expect(loadPlugins(d, config({ enabled: ['bad'] }), w.host)).rejects.toThrowError(/plugin "bad" has an invalid manifest/);
  });
});

describe('plugin loading', () => {
  it('loads only enabled plugins, in enabled order', async () => {
    const w = await world();
    const calls: string[] = [];
    (globalThis as Record<string, unknown>).__koraCalls = calls;
    for (const id of ['a', 'b', 'c']) writePlugin(w.bundled, { id, register: `globalThis.__koraCalls.push(${JSON.stringify(id)});` });
    const records = await loadPlugins(discover(w), config({ enabled: ['c', 'a'] }), w.host);
    expect(calls).toEqual(['c', 'a']);
    expect(records.map((r) => [r.id, r.state])).toEqual([
      ['c', 'loaded'],
      ['a', 'loaded'],
      ['b', 'not_enabled'],
    ]);
  });

  it('lets disabled win over enabled', async () => {
    const w = await world();
    writePlugin(w.bundled, { id: 'a', register: 'ctx.registerDaemon({ name: "d", start() {} });' });
    const records = await loadPlugins(discover(w), config({ enabled: ['a'], disabled: ['a'] }), w.host);
    expect(records[0]).toMatchObject({ id: 'a', state: 'disabled', enabled: false });
    expect(w.host.daemons.names()).toEqual([]);
  });

  it('refuses an enabled id that no source provides, listing what was found', async () => {
    const w = await world();
    writePlugin(w.bundled, { id: 'kora' });
    const err = await loadPlugins(discover(w), config({ enabled: ['kora', 'marvin'] }), w.host).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/plugins\.enabled\.1: no plugin "marvin" was found in any source; found: kora \(bundled\)/);
  });

  it('marks a throwing register failed and rolls back everything it registered', async () => {
    const w = await world();
    writePlugin(w.bundled, {
      id: 'flaky',
      hooks: ['post_tool_call'],
      daemons: ['flaky_d'],
      register: `ctx.on('post_tool_call', () => {});
        ctx.registerDaemon({ name: 'flaky_d', start() {} });
        ctx.registerTool({ name: 'flaky_tool', description: '', run() {} });
        ctx.registerIdentityProvider(() => ({ soul: '', systemPrompt: 'x', metadata: {} }));
        ctx.services.provide('flaky_client', {});
        throw new Error('missing data file persona.md');`,
    });
    writePlugin(w.bundled, { id: 'ok', register: 'ctx.registerDaemon({ name: "ok_d", start() {} });' });
    const records = await loadPlugins(discover(w), config({ enabled: ['flaky', 'ok'] }), w.host);
    expect(records[0]).toMatchObject({ id: 'flaky', state: 'failed', errorCode: 'KORA_ERR_PLUGIN_REGISTER' });
    expect(records[0]?.error).toContain('missing data file persona.md');
    expect(records[1]?.state).toBe('loaded');
    expect(w.host.daemons.names()).toEqual(['ok_d']);
    expect(w.host.tools.list()).toEqual([]);
    expect(w.host.hooks.registrations().filter((r) => r.pluginId === 'flaky')).toEqual([]);
    expect(w.host.services.has('flaky_client')).toBe(false);
  });

  it('aborts when a critical plugin fails (manifest or config)', async () => {
    const w = await world();
    writePlugin(w.bundled, { id: 'vital', critical: true, register: 'throw new Error("no key");' });
    await expect(loadPlugins(discover(w), config({ enabled: ['vital'] }), w.host)).rejects.toMatchObject({ code: 'KORA_ERR_PLUGIN_CRITICAL' });
    writePlugin(w.bundled, { id: 'other', register: 'throw new Error("boom");' });
    await expect(loadPlugins(discover(w), config({ enabled: ['other'], critical: ['other'] }), w.host)).rejects.toBeInstanceOf(PluginError);
  });

  it('refuses a plugin whose hostApi the runtime does not satisfy, naming both versions', async () => {
    const w = await world();
    writePlugin(w.bundled, { id: 'future', hostApi: '^2.0.0', prelude: 'throw new Error("imported!");' });
    const [record] = await loadPlugins(discover(w), config({ enabled: ['future'] }), w.host);
    expect(record).toMatchObject({ state: 'failed', errorCode: 'KORA_ERR_PLUGIN_HOST_API' });
    expect(record?.error).toMatch(/requires host API \^2\.0\.0, but this Kora runtime provides host API 1\.1\.0/);
  });

  it('validates plugin config with the plugin schema before register runs, naming the field', async () => {
    const w = await world();
    const zodUrl = new URL(import.meta.resolve('zod')).href;
    writePlugin(w.bundled, {
      id: 'cfg',
      prelude: `import { z } from ${JSON.stringify(zodUrl)};`,
      definition: 'configSchema: z.object({ channel: z.string().startsWith("#") })',
      register: 'globalThis.__koraCfg = ctx.config;',
    });
    const err = await loadPlugins(discover(w), config({ enabled: ['cfg'], config: { cfg: { channel: 'ops' } } }), w.host).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('plugins.config.cfg.channel');
    await loadPlugins(discover(w), config({ enabled: ['cfg'], config: { cfg: { channel: '#ops' } } }), w.host);
    expect((globalThis as Record<string, unknown>).__koraCfg).toEqual({ channel: '#ops' });
  });

  it('gives each plugin its own namespaced store and an audit that redacts secrets', async () => {
    const w = await world();
    writePlugin(w.bundled, { id: 'one', register: 'await ctx.store.set("k", 1); await ctx.audit("test.seam", { token: "xoxb-secret", n: 1 });' });
    writePlugin(w.bundled, { id: 'two', register: 'globalThis.__koraTwo = await ctx.store.get("k");' });
    await loadPlugins(discover(w), config({ enabled: ['one', 'two'] }), w.host);
    expect((globalThis as Record<string, unknown>).__koraTwo).toBeUndefined();
    expect(await w.store.kv('one').get('k')).toBe(1);
    const [entry] = await w.store.audit.list({ seam: 'test.seam' });
    expect(entry).toMatchObject({ plugin: 'one', details: { token: '[redacted]', n: 1 } });
  });

  it('fails a register that hangs past the timeout', async () => {
    const w = await world();
    writePlugin(w.bundled, { id: 'stuck', register: 'globalThis.__koraStuckEntered = true; await new Promise(() => {});' });
    const loading = loadPlugins(discover(w), config({ enabled: ['stuck'] }), w.host);
    const clock = w.host.clock as ManualClock;
    // The import is real I/O: wait (turn by turn, not on the wall clock) until register() runs.
    await until(() => (globalThis as Record<string, unknown>).__koraStuckEntered === true);
    await clock.advance(1000);
    const [record] = await loading;
    expect(record).toMatchObject({ state: 'failed', errorCode: 'KORA_ERR_PLUGIN_REGISTER_TIMEOUT' });
    expect(record?.error).toMatch(/did not finish register\(\) within 1000 ms/);
  });

  it('fails a plugin whose entry never finishes importing (a top-level await that never settles)', async () => {
    const w = await world();
    writePlugin(w.bundled, { id: 'frozen', prelude: 'await new Promise(() => {});' });
    writePlugin(w.bundled, { id: 'fine', register: 'ctx.registerDaemon({ name: "fine_d", start() {} });' });
    const loading = loadPlugins(discover(w), config({ enabled: ['frozen', 'fine'] }), w.host);
    const clock = w.host.clock as ManualClock;
    await until(() => clock.pending > 0);
    await clock.advance(1000);
    const [frozen, fine] = await loading;
    expect(frozen).toMatchObject({ id: 'frozen', state: 'failed', errorCode: 'KORA_ERR_PLUGIN_IMPORT_TIMEOUT' });
    expect(frozen?.error).toMatch(/importing its entry .*index\.js did not finish within 1000 ms/);
    expect(fine).toMatchObject({ id: 'fine', state: 'loaded' });
  });

  it('refuses registrations after register() finished', async () => {
    const w = await world();
    writePlugin(w.bundled, { id: 'late', register: 'setTimeout(() => { try { ctx.registerDaemon({ name: "late_d", start() {} }); } catch (e) { globalThis.__koraLate = e.message; } }, 0);' });
    await loadPlugins(discover(w), config({ enabled: ['late'] }), w.host);
    await new Promise((r) => setTimeout(r, 5));
    expect((globalThis as Record<string, unknown>).__koraLate).toMatch(/after its register\(\) finished/);
    expect(w.host.daemons.names()).toEqual([]);
  });
});
