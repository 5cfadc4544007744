// Commands that load the plugins without starting anything: `kora plugins list`, `kora identity`.
import type { Env } from '../config/locate.js';
import { Gateway } from '../gateway/gateway.js';
import { KoraError } from '../errors.js';
import type { PluginRecord } from '../plugins/loader.js';
import { escaped, printJson, readableLogLines, type Io } from './output.js';

export interface InspectOptions {
  configPath?: string | undefined;
  json?: boolean;
  env: Env;
  cwd: string;
  /** Override the bundled plugins folder (tests). */
  bundledDir?: string | null;
}

/**
 * Load the plugins and resolve the identity without starting anything. Its warnings go to stderr:
 * readable lines on a terminal, JSON lines when stderr is not one or `--json` asked for JSON.
 * `notEnabled: 'installed'` leaves the plugins configured but not enabled to the caller.
 */
export async function inspect(options: InspectOptions, io: Io, notices: { notEnabled: 'all' | 'installed' } = { notEnabled: 'all' }): Promise<Gateway> {
  const readable = options.json !== true && io.errIsTTY === true;
  const gateway = await Gateway.create({
    configPath: options.configPath,
    env: options.env,
    cwd: options.cwd,
    ...(options.bundledDir !== undefined ? { bundledDir: options.bundledDir } : {}),
    inspect: true,
    logLevel: 'warn',
    logDestination: readable ? readableLogLines(io) : { write: (line: string) => io.err(line.trimEnd()) },
  });
  try {
    await gateway.load();
  } catch (err) {
    await gateway.close();
    throw err;
  }
  for (const n of gateway.notEnabled) if (notices.notEnabled === 'all' || !n.configured) gateway.logger.warn({ plugin: n.id }, n.message);
  return gateway;
}

export async function runPluginsList(options: InspectOptions, io: Io): Promise<number> {
  const gateway = await inspect(options, io);
  try {
    const rows = gateway.plugins.map(pluginRow);
    if (options.json) {
      printJson(io, rows);
      return 0;
    }
    const header = ['ID', 'VERSION', 'SOURCE', 'ENABLED', 'STATE', 'PATH'];
    const table = [header, ...rows.map((r) => [r.id, r.version, r.source, r.enabled ? 'yes' : 'no', r.state, r.path])];
    const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
    for (const row of table) io.out(row.map((cell, i) => (cell ?? '').padEnd(widths[i] ?? 0)).join('  ').trimEnd());
    for (const r of rows) if (r.error) io.out(`\n${r.id}: ${r.error}`);
    return 0;
  } finally {
    await gateway.close();
  }
}

export function pluginRow(p: PluginRecord) {
  return {
    id: p.id,
    name: p.name,
    version: p.version,
    source: p.source,
    thirdParty: p.source !== 'bundled',
    path: p.path,
    enabled: p.enabled,
    state: p.state,
    error: p.error,
    errorCode: p.errorCode,
    critical: p.critical,
    hostApi: p.hostApi,
    registered: p.registered,
    shadows: p.shadows,
  };
}

export async function runIdentity(options: InspectOptions, io: Io): Promise<number> {
  const gateway = await inspect(options, io);
  try {
    let identity;
    try {
      identity = gateway.identity; // throws IdentityError when nothing resolves
    } catch (err) {
      // --json callers parse stdout: the failure is JSON there too, and still exit 1.
      if (options.json && err instanceof KoraError) printJson(io, { error: { name: err.name, code: err.code, message: err.message }, problems: identityProblems(gateway) });
      else for (const p of identityProblems(gateway)) io.out(escaped`problem   ${p}`);
      throw err;
    }
    const { spec, source, agentName } = identity;
    const problems = identityProblems(gateway);
    if (options.json) {
      printJson(io, { agentName, source, systemPromptChars: spec.systemPrompt.length, soulChars: spec.soul.length, metadata: spec.metadata, problems });
      return 0;
    }
    io.out(`agent     ${agentName}`);
    io.out(`source    ${source.kind === 'plugin' ? `plugin ${source.pluginId}` : `file ${source.path}`}`);
    io.out(`prompt    ${spec.systemPrompt.length} chars`);
    io.out(`soul      ${spec.soul.length} chars`);
    for (const [k, v] of Object.entries(spec.metadata)) io.out(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    for (const p of problems) io.out(escaped`problem   ${p}`);
    return 0;
  } finally {
    await gateway.close();
  }
}

/** The gateway's problems with identity providers (an invalid answer); "none resolved" is the command's own error. */
function identityProblems(gateway: Gateway): string[] {
  return gateway.problems.filter((p) => p.startsWith('identity provider of plugin '));
}
