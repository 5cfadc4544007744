// The `kora` command line. Each command's module is imported when that command runs, so a
// command loads no other command's code (`kora daemon` not the kora.yaml editor).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { runtimePackageDir } from '../plugins/host-runtime.js';
import { HOST_API_VERSION } from '../version.js';
import { EXIT } from '../error-codes.js';
import { printJson, processIo, reportError, type Io } from './output.js';
import type { Placement } from './plugins-commands.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** `--days N` of the commands that read per-day figures (`kora usage`, `kora costs`). */
const daysOption = () => new Option('--days <n>', 'how many UTC days back, today included (1-366)').default('7');

/** The `--days` value as a whole number of days, or a usage error (exit 2) naming what was given. */
async function daysOf(value: string): Promise<number> {
  const days = Number(value);
  if (Number.isSafeInteger(days) && days >= 1 && days <= 366) return days;
  const { UsageError } = await import('../errors.js');
  throw new UsageError(`--days must be a whole number from 1 to 366 (got "${value}")`, { days: value });
}

/** `kora 0.1.0, host API 1.1.0`: the runtime package's version and the plugin API it provides. */
export function versionText(): string {
  const dir = runtimePackageDir();
  let version = 'unknown';
  if (dir) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string') version = pkg.version;
  }
  return `kora ${version}, host API ${HOST_API_VERSION}`;
}

/** Signals the bin caught before the CLI loaded, and how to stop catching them. */
export interface EarlySignals {
  signals: NodeJS.Signals[];
  release(): void;
}

export async function main(argv: string[], io: Io = processIo, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), early?: EarlySignals): Promise<number> {
  // Only `kora daemon` has a stop to honour; every other command goes back to default handling.
  if (argv[0] !== 'daemon') early?.release();
  let exitCode = EXIT.ok as number;
  const program = new Command('kora')
    .description('Kora: a runtime for always-on AI agents')
    .version(versionText(), '-V, --version', 'print the runtime version and the host API version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError('(run `kora --help` for usage)');
  const configOption = () => new Option('-c, --config <path>', 'config file (default: $KORA_CONFIG, ./kora.yaml, $KORA_HOME/kora.yaml)');

  program
    .command('daemon')
    .description('run the gateway until SIGINT/SIGTERM')
    .addOption(configOption())
    .option('--dev', 'development run: deploy env "dev" unless KORA_DEPLOY_ENV says otherwise')
    .option('--only <name>', 'start only this daemon (repeatable)', collect, [])
    .option('--skip <name>', 'do not start this daemon (repeatable)', collect, [])
    .action(async (o: { config?: string; dev?: boolean; only: string[]; skip: string[] }) => {
      const { runDaemon } = await import('./daemon-command.js');
      exitCode = await runDaemon({ configPath: o.config, dev: o.dev === true, only: o.only, skip: o.skip, env, cwd, ...(early ? { early } : {}) }, io);
    });

  program
    .command('status')
    .description('show the running gateway (reads $KORA_HOME/run/status.json); exit 3 when none runs, 4 when it does not respond, 5 when the file is unreadable')
    .addOption(configOption())
    .option('--json', 'machine-readable output')
    .action(async (o: { config?: string; json?: boolean }) => {
      const { runStatus } = await import('./status-command.js');
      exitCode = runStatus({ configPath: o.config, json: o.json === true, env, cwd }, io);
    });

  program
    .command('ask')
    .description('send one message to the running gateway\'s agent (admin API, route `cli`) and print the reply; the conversation id to continue with goes to stderr')
    .argument('<message>', 'what to say')
    .addOption(configOption())
    .option('--conversation <id>', 'continue this conversation (the id a previous `kora ask` printed)')
    .option('--json', 'print the whole answer: reply, conversation, model, calls, usage')
    .action(async (message: string, o: { config?: string; conversation?: string; json?: boolean }) => {
      const { runAsk } = await import('./ask-command.js');
      exitCode = await runAsk({ configPath: o.config, message, conversation: o.conversation, json: o.json === true, env, cwd }, io);
    });

  program
    .command('fleet')
    .description('the gateways sharing this store (several machines on PostgreSQL): heartbeats and the leader')
    .addOption(configOption())
    .option('--json', 'machine-readable output')
    .action(async (o: { config?: string; json?: boolean }) => {
      const { runFleet } = await import('./fleet-command.js');
      exitCode = await runFleet({ configPath: o.config, json: o.json === true, env, cwd }, io);
    });

  program
    .command('usage')
    .description('model calls, tokens and cost per day and model, from the running gateway (admin API)')
    .addOption(configOption())
    .addOption(daysOption())
    .option('--json', 'machine-readable output')
    .action(async (o: { config?: string; days: string; json?: boolean }) => {
      const days = await daysOf(o.days);
      const { runUsage } = await import('./ask-command.js');
      exitCode = await runUsage({ configPath: o.config, days, json: o.json === true, env, cwd }, io);
    });

  program
    .command('probes')
    .description('the service probes of the running gateway: each one\'s state, latency and recent states (admin API, plugin probes)')
    .addOption(configOption())
    .option('--json', 'machine-readable output')
    .action(async (o: { config?: string; json?: boolean }) => {
      const { runProbes } = await import('./probes-alerts-commands.js');
      exitCode = await runProbes({ configPath: o.config, json: o.json === true, env, cwd }, io);
    });

  program
    .command('alerts')
    .description('the open alerts of the running gateway and what was said recently (admin API, plugin alerts)')
    .addOption(configOption())
    .option('--json', 'machine-readable output')
    .action(async (o: { config?: string; json?: boolean }) => {
      const { runAlerts } = await import('./probes-alerts-commands.js');
      exitCode = await runAlerts({ configPath: o.config, json: o.json === true, env, cwd }, io);
    });

  program
    .command('costs')
    .description('the cost rung, the spend windows (rolling 24 h, month) against their budgets, and the cost per day and model, from the running gateway (admin API, plugin telemetry)')
    .addOption(configOption())
    .addOption(daysOption())
    .option('--json', 'machine-readable output')
    .action(async (o: { config?: string; days: string; json?: boolean }) => {
      const days = await daysOf(o.days);
      const { runCosts } = await import('./costs-command.js');
      exitCode = await runCosts({ configPath: o.config, days, json: o.json === true, env, cwd }, io);
    });

  program
    .command('identity')
    .description('print the identity the gateway would resolve')
    .addOption(configOption())
    .option('--json', 'machine-readable output')
    .action(async (o: { config?: string; json?: boolean }) => {
      const { runIdentity } = await import('./inspect-commands.js');
      exitCode = await runIdentity({ configPath: o.config, json: o.json === true, env, cwd }, io);
    });

  program
    .command('init')
    .description('write a commented kora.yaml (the bundled plugins of this install, in load order; home: beside it); never overwrites one')
    .option('--dir <path>', 'the project folder (default: the current one; created when missing)')
    .action(async (o: { dir?: string }) => {
      const { runInit } = await import('./init-command.js');
      exitCode = runInit({ dir: o.dir, env, cwd }, io);
    });

  const plugins = program.command('plugins').description('inspect plugins, and choose which load and in what order');
  plugins
    .command('new')
    .description('write a TypeScript plugin package kora-plugin-<id>: manifest, a daemon with a periodic task, a config schema, a test, build/test/prepack scripts')
    .argument('<id>', 'plugin id (lowercase letters, digits, "_" or "-")')
    .option('--dir <path>', 'where to write it (default: ./kora-plugin-<id>); must be new or empty')
    .option('--runtime <spec>', 'the @kora/runtime dependency: a version range, a path or a packed tarball (default: ^ this runtime\'s version)')
    .action(async (id: string, o: { dir?: string; runtime?: string }) => {
      const { runPluginsNew } = await import('./plugins-new-command.js');
      exitCode = runPluginsNew({ id, dir: o.dir, runtime: o.runtime, cwd }, io);
    });
  plugins
    .command('list')
    .description('every plugin found: id, version, source, path, enabled, state, error')
    .addOption(configOption())
    .option('--json', 'machine-readable output')
    .action(async (o: { config?: string; json?: boolean }) => {
      const { runPluginsList } = await import('./inspect-commands.js');
      exitCode = await runPluginsList({ configPath: o.config, json: o.json === true, env, cwd }, io);
    });
  plugins
    .command('info')
    .description('one plugin: its manifest, source, state, and the hooks and daemons it registered')
    .argument('<id>', 'plugin id')
    .addOption(configOption())
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { config?: string; json?: boolean }) => {
      const { runPluginsInfo } = await import('./plugins-commands.js');
      exitCode = await runPluginsInfo({ id, configPath: o.config, json: o.json === true, env, cwd }, io);
    });
  plugins
    .command('enable')
    .description('add a plugin to plugins.enabled in kora.yaml (last, unless placed), keeping its comments and layout')
    .argument('<id>', 'plugin id')
    .addOption(configOption())
    .addOption(new Option('--first', 'load it first: highest identity precedence (moves it if already enabled)').conflicts(['before', 'after']))
    .addOption(new Option('--before <id>', 'load it just before this enabled plugin (moves it if already enabled)').conflicts(['first', 'after']))
    .addOption(new Option('--after <id>', 'load it just after this enabled plugin (moves it if already enabled)').conflicts(['first', 'before']))
    .action(async (id: string, o: { config?: string; first?: boolean; before?: string; after?: string }) => {
      const { runPluginsEnable } = await import('./plugins-commands.js');
      const placement: Placement = o.first ? { at: 'first' } : o.before ? { at: 'before', anchor: o.before } : o.after ? { at: 'after', anchor: o.after } : { at: 'end' };
      exitCode = await runPluginsEnable({ id, placement, configPath: o.config, env, cwd }, io);
    });
  plugins
    .command('disable')
    .description('add a plugin to plugins.disabled in kora.yaml (it keeps its place in plugins.enabled)')
    .argument('<id>', 'plugin id')
    .addOption(configOption())
    .action(async (id: string, o: { config?: string }) => {
      const { runPluginsDisable } = await import('./plugins-commands.js');
      exitCode = await runPluginsDisable({ id, configPath: o.config, env, cwd }, io);
    });

  const inbox = program.command('inbox').description('the durable inbox: topics, dead letters, replay and discard');
  inbox
    .command('topics', { isDefault: true })
    .description('items per topic: pending, in flight, dead (the default)')
    .addOption(configOption())
    .option('--json', 'machine-readable output')
    .action(async (o: { config?: string; json?: boolean }) => {
      const { runInboxTopics } = await import('./inbox-commands.js');
      exitCode = await runInboxTopics({ configPath: o.config, json: o.json === true, env, cwd }, io);
    });
  inbox
    .command('dead')
    .description('dead letters: items whose attempts ran out, with their payload and every error')
    .addOption(configOption())
    .option('--topic <topic>', 'only this topic')
    .option('--json', 'machine-readable output (payloads included)')
    .action(async (o: { config?: string; topic?: string; json?: boolean }) => {
      const { runInboxDead } = await import('./inbox-commands.js');
      exitCode = await runInboxDead({ configPath: o.config, json: o.json === true, env, cwd, ...(o.topic ? { topic: o.topic } : {}) }, io);
    });
  for (const [name, discard, what] of [['replay', false, 'put a dead letter back to be delivered again'], ['discard', true, 'delete a dead letter for good']] as const) {
    inbox
      .command(name)
      .description(what)
      .argument('<id>', 'the dead letter id `kora inbox dead` shows')
      .addOption(configOption())
      .action(async (id: string, o: { config?: string }) => {
        const { runInboxReplay } = await import('./inbox-commands.js');
        exitCode = await runInboxReplay({ id, discard, configPath: o.config, env, cwd }, io);
      });
  }

  const proposals = program.command('proposals').description("the learning loops' proposals (plugin promote, admin API): list, approve, reject");
  proposals
    .command('list', { isDefault: true })
    .description('proposals, newest first, with their state (the default)')
    .addOption(configOption())
    .option('--status <status>', 'pending, approved, rejected, expired or all', 'all')
    .option('--loop <loop>', 'phrasebook, snapshot_expand, router_tuning, tool_trimming or probe_fix_envelopes')
    .option('--json', 'machine-readable output (payloads and evidence included)')
    .action(async (o: { config?: string; status?: string; loop?: string; json?: boolean }) => {
      const { runProposalsList } = await import('./proposals-command.js');
      exitCode = await runProposalsList({ configPath: o.config, status: o.status, loop: o.loop, json: o.json === true, env, cwd }, io);
    });
  for (const [decision, what] of [['approve', 'approve a pending proposal: it applies at once'], ['reject', 'reject a pending proposal: its loop will not propose it again']] as const) {
    proposals
      .command(decision)
      .description(what)
      .argument('<id>', 'the proposal id `kora proposals list` shows')
      .addOption(configOption())
      .option('--reason <text>', 'why, kept with the decision')
      .option('--json', 'machine-readable output')
      .action(async (id: string, o: { config?: string; reason?: string; json?: boolean }) => {
        const { runProposalDecide } = await import('./proposals-command.js');
        exitCode = await runProposalDecide({ id, decision, reason: o.reason, configPath: o.config, json: o.json === true, env, cwd }, io);
      });
  }
  for (const [verb, what] of [['pause', 'turn the learning loops off now (the runtime kill switch): they propose nothing and nothing approved applies'], ['resume', 'turn the learning loops on again after `kora proposals pause`']] as const) {
    proposals
      .command(verb)
      .description(what)
      .argument('[loop]', 'one loop (phrasebook, snapshot_expand, router_tuning, tool_trimming, probe_fix_envelopes); all of them when left out')
      .addOption(configOption())
      .option('--reason <text>', 'why, kept with the switch')
      .option('--json', 'machine-readable output')
      .action(async (loop: string | undefined, o: { config?: string; reason?: string; json?: boolean }) => {
        const { runProposalsSwitch } = await import('./proposals-command.js');
        exitCode = await runProposalsSwitch({ loop, enabled: verb === 'resume', reason: o.reason, configPath: o.config, json: o.json === true, env, cwd }, io);
      });
  }

  const config = program.command('config').description('check and describe kora.yaml');
  config
    .command('check')
    .description('run every check `kora daemon` runs before starting daemons, without starting anything; exit 0 means the daemon will not exit 2')
    .addOption(configOption())
    .option('--json', 'the result as JSON on stdout, warnings as JSON lines on stderr')
    .action(async (o: { config?: string; json?: boolean }) => {
      const { runConfigCheck } = await import('./config-check-command.js');
      exitCode = await runConfigCheck({ configPath: o.config, json: o.json === true, env, cwd }, io);
    });
  config
    .command('schema')
    .description('print the JSON Schema of kora.yaml (for editor completion)')
    .action(async () => {
      const { configJsonSchema } = await import('../config/schema.js');
      printJson(io, configJsonSchema());
    });

  // The runtime's timers are unref'd, so a command waiting only on them (a plugin import that
  // never settles, bounded by its timeout) would let the process end early, silently, with 0.
  // The command holds the process until it has answered.
  const hold = setInterval(() => {}, 1 << 30);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) return EXIT.ok;
    return reportError(io, err);
  } finally {
    clearInterval(hold);
  }
  return exitCode;
}
