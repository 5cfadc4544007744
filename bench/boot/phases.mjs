// bench/boot/phases.mjs: where boot time goes. Each sample is a fresh process that loads the
// bundle the `kora` bin loads, then runs the gateway's boot steps one by one through the
// internals (packages/runtime/dist/internal.js), timing each: the same parts, the same order,
// the repository's kora.yaml, a fresh home (so the store is created and migrated).
// Run: npm run build && node bench/boot/phases.mjs [--runs 15] [--env machine|clean|both] [--config <kora.yaml>]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchEnv, median } from './env.mjs';

const REPO = resolve(import.meta.dirname, '../..');
const DIST = join(REPO, 'packages/runtime/dist');

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4]);
} else {
  await parent();
}

/** One boot, step by step; prints each step's milliseconds as JSON. */
async function child(home, config) {
  const ms = {};
  // From the process's time origin to this line: Node's own start-up (and the ESM loader).
  ms.node = performance.now();
  let t = performance.now();
  const lap = (name) => {
    const now = performance.now();
    ms[name] = (ms[name] ?? 0) + (now - t);
    t = now;
  };
  // What `bin/kora.js` loads, the way it loads it (the CommonJS loader, decision 0177): the CLI
  // entry and, from it, the chunks the gateway needs.
  const loader = createRequire(import.meta.url)(join(DIST, 'load.cjs'));
  await loader.entry('cli/main.js');
  const k = await loader.entry('internal.js');
  lap('load');

  const env = { ...process.env, HOME: home, KORA_HOME: home };
  const gw = await k.Gateway.create({ configPath: config, dev: true, env, cwd: REPO });
  lap('config');
  k.writeStatusFile(k.statusFilePath(home), gw.status());
  lap('status');

  const logger = gw.logger;
  const store = await k.openStore({ home, logger: logger.child({ part: 'store' }), clock: gw.clock });
  await store.ledger.interruptStale({ not: gw.sessionId });
  await store.ledger.prune({ maxRowsPerTask: 1000, maxAgeMs: 30 * 86_400_000, now: Date.now() });
  await store.audit.prune({ before: Date.now() - 90 * 86_400_000 });
  lap('store');

  const discovery = k.discoverPlugins({ projectRoot: REPO, home, env, logger: logger.child({ part: 'plugins' }) });
  lap('discovery');
  await k.loadPlugins(discovery, gw.config, {
    hooks: gw.hooks,
    services: gw.services,
    daemons: gw.daemons,
    tools: gw.tools,
    toolPipeline: gw.toolPipeline,
    contributions: gw.contributions,
    attribution: gw.attribution,
    gateway: gw.view,
    store,
    logger,
    clock: gw.clock,
    home,
    env,
    deployEnv: gw.deployEnv,
    configFile: gw.configFile,
    registerTimeoutMs: 30_000,
  });
  lap('plugins');
  await k.resolveIdentity({ hooks: gw.hooks, request: { deployEnv: gw.deployEnv, home }, files: {}, logger: logger.child({ part: 'identity' }) });
  lap('identity');
  k.writeStatusFile(k.statusFilePath(home), gw.status());
  lap('status');
  await store.close();
  process.stdout.write(`${JSON.stringify(ms)}\n`);
}

async function parent() {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, env: { type: 'string', default: 'both' }, config: { type: 'string' } } });
  // The repository's example config by default; `--config bench/boot/core.yaml`: the core alone.
  const config = values.config ? resolve(values.config) : join(REPO, 'kora.yaml');
  const runs = Number(values.runs);
  const kinds = values.env === 'both' ? ['machine', 'clean'] : [values.env];
  const rows = {
    node: 'Node start-up, to the first line of the script',
    load: 'load and evaluate the bundle (`dist/cli/main.js`: the runtime script, with its code cache)',
    config: 'find, read and validate `kora.yaml`; create the logger',
    store: 'open the store: SQLite file, pragmas, migrations of a new database, prune',
    discovery: 'discover plugins (bundled, `node_modules`, user)',
    plugins: 'load the enabled plugins: import, `register()`',
    identity: 'resolve the identity',
    status: 'write the status file (twice: booting, then running)',
  };
  const samples = Object.fromEntries(kinds.map((kind) => [kind, []]));
  const once = (kind) => {
    const home = mkdtempSync(join(tmpdir(), 'kora-bench-phases-'));
    try {
      const r = spawnSync(process.execPath, [import.meta.filename, '--child', home, config], { env: benchEnv(kind, { KORA_LOG_LEVEL: 'warn' }), encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`phases child exited ${r.status}\n${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').pop());
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  };
  for (const kind of kinds) once(kind); // warm the file cache
  for (let i = 0; i < runs; i++) for (const kind of kinds) samples[kind].push(once(kind));

  console.log(`| step | ${kinds.map((k) => `${k} env, median ms`).join(' | ')} |`);
  console.log(`|---|${kinds.map(() => '---:').join('|')}|`);
  for (const [key, label] of Object.entries(rows)) {
    console.log(`| ${label} | ${kinds.map((k) => median(samples[k].map((s) => s[key] ?? 0)).toFixed(1)).join(' | ')} |`);
  }
  const total = (s) => Object.keys(rows).reduce((sum, key) => sum + (s[key] ?? 0), 0);
  console.log(`| **sum** | ${kinds.map((k) => median(samples[k].map(total)).toFixed(1)).join(' | ')} |`);
  console.log(`\n${runs} runs per environment, interleaved; "machine": this machine's environment; "clean": the same without NODE_EXTRA_CA_CERTS; node ${process.version}`);
}
