import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DeployEnvError } from '../errors.js';
import { resolveDeployEnv } from './deploy-env.js';
import { locateConfig, resolveHome } from './locate.js';
import { parseConfigText } from './load.js';
import { configJsonSchema } from './schema.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'kora-config-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function configError(text: string): ConfigError {
  try {
    parseConfigText(text, '/etc/kora/kora.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config validation', () => {
  it('accepts the minimal config and fills defaults', () => {
    const c = parseConfigText('plugins:\n  enabled: [kora]\n', 'k.yaml');
    expect(c.plugins).toEqual({ enabled: ['kora'], disabled: [], critical: [], config: {} });
    expect(c.gateway.drainBudget).toBe('10s');
    expect(c.store.ledger.maxRowsPerTask).toBe(1000);
    expect(c.store.audit.maxAge).toBe('90d');
  });

  it('names the file, the field path with its line, and what was expected', () => {
    const err = configError('plugins:\n  enabled: [kora]\ndaemons:\n  snapshot:\n    tasks:\n      snapshot.compute: { every: ten minutes }\n');
    expect(err.code).toBe('KORA_ERR_CONFIG_INVALID');
    expect(err.message).toContain('/etc/kora/kora.yaml');
    expect(err.message).toContain('daemons.snapshot.tasks.snapshot.compute.every (line 6)');
    expect(err.message).toContain('expected a duration');
  });

  it('requires plugins.enabled', () => {
    const err = configError('home: ./x\n');
    expect(err.issues[0]?.path).toContain('plugins');
  });

  it('rejects unknown keys so typos do not silently do nothing', () => {
    const err = configError('plugins:\n  enabled: []\ndeamons: {}\n');
    expect(err.message).toMatch(/unknown key "deamons"/);
  });

  it('rejects a plugin listed twice in enabled', () => {
    const err = configError('plugins:\n  enabled: [kora, web, kora]\n');
    expect(err.issues[0]?.path).toMatch(/^plugins\.enabled\.2/);
  });

  it('reports YAML syntax errors with their line', () => {
    const err = configError('plugins:\n  enabled: [kora\n');
    expect(err.code).toBe('KORA_ERR_CONFIG_PARSE');
    expect(err.message).toMatch(/line \d+/);
  });

  it('prints a JSON Schema that knows the keys', () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['home', 'plugins', 'daemons', 'store']));
    expect(schema.required).toEqual(['plugins']);
  });
});

describe('config and home lookup', () => {
  it('prefers --config, then KORA_CONFIG, then ./kora.yaml, then $KORA_HOME/kora.yaml', () => {
    const cwd = tmp();
    const home = tmp();
    writeFileSync(join(home, 'kora.yaml'), 'plugins: { enabled: [] }\n');
    expect(locateConfig({ env: { KORA_HOME: home }, cwd })).toEqual({ path: join(home, 'kora.yaml'), via: '$KORA_HOME/kora.yaml' });
    writeFileSync(join(cwd, 'kora.yaml'), 'plugins: { enabled: [] }\n');
    expect(locateConfig({ env: { KORA_HOME: home }, cwd }).via).toBe('./kora.yaml');
    writeFileSync(join(cwd, 'other.yaml'), 'plugins: { enabled: [] }\n');
    expect(locateConfig({ env: { KORA_HOME: home, KORA_CONFIG: 'other.yaml' }, cwd })).toEqual({ path: join(cwd, 'other.yaml'), via: 'KORA_CONFIG' });
    expect(locateConfig({ flag: 'kora.yaml', env: { KORA_CONFIG: 'other.yaml' }, cwd }).via).toBe('--config');
  });

  it('fails clearly when a named config does not exist', () => {
    expect(() => locateConfig({ flag: 'missing.yaml', env: {}, cwd: tmp() })).toThrowError(/Config file not found: .*missing\.yaml \(named by --config\)/);
  });

  it('takes KORA_HOME over the config home, and resolves the config home relative to the file', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'etc'));
    const file = join(dir, 'etc', 'kora.yaml');
    expect(resolveHome({ env: {}, configPath: file, configHome: '../state' })).toBe(join(dir, 'state'));
    expect(resolveHome({ env: { KORA_HOME: '/x' }, configPath: file, configHome: '../state' })).toBe('/x');
  });
});

describe('deploy-env gate', () => {
  it('refuses to start without a deploy env', () => {
    expect(() => resolveDeployEnv({ env: {} })).toThrow(DeployEnvError);
    expect(() => resolveDeployEnv({ env: { KORA_DEPLOY_ENV: '   ' } })).toThrow(DeployEnvError);
  });

  it('treats --dev and KORA_DEV=1 as dev, but never over an explicit value', () => {
    expect(resolveDeployEnv({ env: {}, devFlag: true })).toBe('dev');
    expect(resolveDeployEnv({ env: { KORA_DEV: '1' } })).toBe('dev');
    expect(resolveDeployEnv({ env: { KORA_DEPLOY_ENV: 'production', KORA_DEV: '1' }, devFlag: true })).toBe('production');
  });
});
