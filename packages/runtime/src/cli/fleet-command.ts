// `kora fleet`: the gateways sharing this project's store, their heartbeats and the leader. It
// reads the store directly (decision 0093): the fleet is most worth seeing when a gateway is
// down, and every machine that has store.url can see all of it, its own gateway running or not.
import { readKoraEnv } from '../config/env.js';
import { loadConfigFile } from '../config/load.js';
import { requireConfig, resolveHome, type Env } from '../config/locate.js';
import { readFleet, type FleetView } from '../fleet/view.js';
import { openStore } from '../store/index.js';
import { parseDuration } from '../time/duration.js';
import { formatTable } from './admin-client.js';
import { escaped, printJson, type Io } from './output.js';

export interface FleetCommandOptions {
  configPath?: string;
  json?: boolean;
  env: Env;
  cwd: string;
  /** Tests: the time to judge heartbeats against. */
  now?: number;
}

export async function runFleet(options: FleetCommandOptions, io: Io): Promise<number> {
  const koraEnv = readKoraEnv(options.env);
  const configPath = requireConfig({ flag: options.configPath, env: options.env, cwd: options.cwd });
  const { config, file } = loadConfigFile(configPath);
  const home = resolveHome({ env: options.env, configPath: file, configHome: config.home });
  const store = await openStore({ url: koraEnv.storeUrl || config.store.url, home });
  let view: FleetView;
  try {
    view = await readFleet(store, { now: options.now ?? Date.now(), leaseMs: parseDuration(config.fleet.lease) });
  } finally {
    await store.close();
  }
  if (options.json) {
    printJson(io, view);
    return 0;
  }
  io.out(escaped`Fleet of ${view.store.kind} store ${view.store.location} (lease ${view.leaseMs / 1000} s)`);
  io.out(view.leader ? escaped`leader    ${view.leader.sessionId} on ${view.leader.host ?? '?'}, since ${view.leader.since}` : 'leader    none right now (a gateway takes the lead within the lease)');
  if (view.gateways.length === 0) {
    io.out('No gateway has run on this store yet.');
    return 0;
  }
  const rows = view.gateways.map((g) => [g.sessionId, g.host, String(g.pid), g.version, g.presence === 'alive' ? g.state : g.presence, ago(g.heartbeatAgeMs), g.leader ? 'yes' : '']);
  io.out(formatTable(['SESSION', 'HOST', 'PID', 'VERSION', 'STATE', 'HEARTBEAT', 'LEADER'], rows, 7));
  return 0;
}

function ago(ms: number): string {
  if (ms < 1000) return 'now';
  if (ms < 120_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${Math.round(ms / 3_600_000)} h ago`;
}
