// `kora inbox`: the durable inbox of this home's store, per topic, its dead letters, and
// replaying or discarding one. It works beside a running gateway (whose consumers pick a
// replayed item up at their next poll) as well as without one.
import { readKoraEnv } from '../config/env.js';
import { loadConfigFile } from '../config/load.js';
import { requireConfig, resolveHome, type Env } from '../config/locate.js';
import { UsageError } from '../errors.js';
import { createSecretScrubber } from '../log/scrubber.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { escaped, printJson, type Io } from './output.js';

export interface InboxCommandOptions {
  configPath?: string;
  json?: boolean;
  env: Env;
  cwd: string;
}

async function withStore<T>(options: InboxCommandOptions, run: (store: Store, scrub: <V>(value: V) => V) => Promise<T>): Promise<T> {
  const koraEnv = readKoraEnv(options.env);
  const configPath = requireConfig({ flag: options.configPath, env: options.env, cwd: options.cwd });
  const { config, file } = loadConfigFile(configPath);
  const home = resolveHome({ env: options.env, configPath: file, configHome: config.home });
  const scrubber = createSecretScrubber({ env: options.env, config });
  const store = await openStore({ url: koraEnv.storeUrl || config.store.url, home });
  try {
    return await run(store, (value) => scrubber.scrubDeep(value));
  } finally {
    await store.close();
  }
}

export function runInboxTopics(options: InboxCommandOptions, io: Io): Promise<number> {
  return withStore(options, async (store) => {
    const stats = await store.inbox.stats();
    const rows = Object.entries(stats)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([topic, s]) => ({ topic, ...s }));
    if (options.json) printJson(io, rows);
    else if (rows.length === 0) io.out('The inbox is empty: no topic has an item pending, in flight or dead.');
    else for (const r of rows) io.out(escaped`${r.topic.padEnd(24)} ${r.pending} pending, ${r.inFlight} in flight, ${r.dead} dead`);
    return 0;
  });
}

export function runInboxDead(options: InboxCommandOptions & { topic?: string; limit?: number }, io: Io): Promise<number> {
  return withStore(options, async (store, scrub) => {
    const dead = scrub(await store.inbox.dead({ ...(options.topic ? { topic: options.topic } : {}), limit: options.limit ?? 100 }));
    if (options.json) {
      printJson(io, dead);
      return 0;
    }
    if (dead.length === 0) io.out(`No dead letters${options.topic ? ` in ${options.topic}` : ''}.`);
    for (const d of dead) {
      const last = d.errors.at(-1);
      io.out(escaped`#${d.id} ${d.topic} key ${d.key}: dead since ${new Date(d.deadAt).toISOString()} after ${d.attempts} attempt(s)${d.replays ? `, ${d.replays} replay(s)` : ''}; last error: ${last?.error ?? '(none)'}`);
    }
    if (dead.length > 0) io.out('Replay one with `kora inbox replay <id>`, or drop it with `kora inbox discard <id>`.');
    return 0;
  });
}

export function runInboxReplay(options: InboxCommandOptions & { id: string; discard?: boolean }, io: Io): Promise<number> {
  const id = Number(options.id);
  if (!Number.isSafeInteger(id) || id < 1) throw new UsageError(`"${options.id}" is not a dead letter id: give the number \`kora inbox dead\` shows (e.g. 12)`, { id: options.id });
  return withStore(options, async (store) => {
    const done = options.discard ? await store.inbox.discard(id) : await store.inbox.replay(id);
    if (!done) throw new UsageError(`There is no dead letter #${id}: \`kora inbox dead\` lists them (it may have been replayed or discarded already)`, { id });
    await store.audit.append({ at: Date.now(), plugin: 'runtime', seam: options.discard ? 'inbox.discarded' : 'inbox.replayed', details: { id, by: 'cli' } });
    io.out(options.discard ? `Dead letter #${id} discarded.` : `Dead letter #${id} is pending again: a running gateway delivers it at its next poll.`);
    return 0;
  });
}
