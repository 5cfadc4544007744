// `kora config check`: every check `kora daemon` makes before it starts a daemon — the
// environment, the file, the enabled plugins and their config schemas, then the boot plan
// (schedules, timeouts, overrides) — without opening the real store or starting anything.
// Exit 0 means `kora daemon` will not exit 2.
import { readKoraEnv } from '../config/env.js';
import type { Env } from '../config/locate.js';
import { checkPluginConfig } from '../config/plugin-config-check.js';
import { ConfigError, KoraError } from '../errors.js';
import { planBoot } from '../gateway/plan.js';
import { inspect } from './inspect-commands.js';
import { escaped, printJson, type Io } from './output.js';

export interface ConfigCheckOptions {
  configPath?: string | undefined;
  /** The result as JSON on stdout, and every warning as a JSON line on stderr. */
  json?: boolean;
  env: Env;
  cwd: string;
}

export async function runConfigCheck(options: ConfigCheckOptions, io: Io): Promise<number> {
  try {
    return await check(options, io);
  } catch (err) {
    // --json callers parse stdout: the failure is JSON there too (and still on stderr, exit 2).
    if (options.json && err instanceof KoraError) {
      const issues = err instanceof ConfigError ? err.issues.map((i) => ({ path: i.path, line: i.line ?? null, message: i.message })) : [];
      printJson(io, { ok: false, file: err instanceof ConfigError ? (err.file ?? null) : null, error: { name: err.name, code: err.code, message: err.message }, issues });
    }
    throw err;
  }
}

async function check(options: ConfigCheckOptions, io: Io): Promise<number> {
  readKoraEnv(options.env);
  const gateway = await inspect(options, io, { notEnabled: 'installed' });
  try {
    const { config, configSource } = gateway;
    try {
      planBoot({ daemons: gateway.daemons.list(), config, configFile: gateway.configFile, now: gateway.clock.now() });
    } catch (err) {
      throw gateway.located(err);
    }
    const warnings = checkPluginConfig({
      config,
      source: configSource,
      plugins: gateway.plugins.map((p) => ({ id: p.id, enabled: p.enabled, hasSchema: p.hasConfigSchema })),
      daemons: gateway.daemons.names(),
    });
    const file = gateway.configFile ?? 'kora.yaml';
    // Its own warnings are `kora: warning: <file>:<line>: …` lines (what scripts have grepped
    // since config check began); with --json, JSON log lines like the plugins' own.
    const warn = (fields: Record<string, unknown>, text: string) => (options.json ? gateway.logger.warn(fields, text) : io.err(escaped`kora: warning: ${text}`));
    for (const w of warnings) warn({ file, path: w.path, ...(w.line ? { line: w.line } : {}) }, `${file}${w.line ? `:${w.line}` : ''}: ${w.path}: ${w.message}`);
    const failed = gateway.plugins.filter((p) => p.enabled && p.state === 'failed');
    for (const p of failed) warn({ plugin: p.id }, `plugin ${p.id} fails to load (the gateway boots degraded without it): ${p.error ?? ''}`);
    const enabled = config.plugins.enabled;
    if (options.json) {
      printJson(io, {
        ok: true,
        file: gateway.configFile,
        enabled,
        daemons: gateway.daemons.names(),
        warnings: warnings.map((w) => ({ path: w.path, line: w.line ?? null, message: w.message })),
        failedPlugins: failed.map((p) => ({ id: p.id, error: p.error, errorCode: p.errorCode })),
      });
      return 0;
    }
    io.out(escaped`${gateway.configFile ?? '(no file)'}: OK (${enabled.length} plugin(s) enabled: ${enabled.join(', ') || 'none'}; ${gateway.daemons.names().length} daemon(s) planned${warnings.length ? `; ${warnings.length} warning(s)` : ''})`);
    return 0;
  } finally {
    await gateway.close();
  }
}
