import { describe, expect, it } from 'vitest';
import { EnvError } from '../errors.js';
import { resolveDeployEnv } from './deploy-env.js';
import { parseEnvFlag } from './env-flag.js';
import { readKoraEnv } from './env.js';

function envError(env: Record<string, string>): EnvError {
  try {
    readKoraEnv(env);
  } catch (err) {
    if (err instanceof EnvError) return err;
    throw err;
  }
  throw new Error('expected an EnvError');
}

describe('boolean env flags', () => {
  it.each(['1', 'true', 'yes', 'on', 'TRUE', 'Yes', ' on ', 'ON'])('reads %j as on', (value) => {
    expect(parseEnvFlag('KORA_DEV', value)).toBe(true);
  });

  it.each([undefined, '', '  ', '0', 'false', 'no', 'off', 'FALSE', 'Off'])('reads %j as off', (value) => {
    expect(parseEnvFlag('KORA_DEV', value)).toBe(false);
  });

  it.each(['2', 'ture', 'enabled', 'y', '1 1'])('refuses %j with a coded error naming the variable, the value and what is accepted', (value) => {
    let caught: unknown;
    try {
      parseEnvFlag('KORA_ENABLE_PROJECT_PLUGINS', value);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EnvError);
    const err = caught as EnvError;
    expect(err.code).toBe('KORA_ERR_ENV_INVALID');
    expect(err.message).toContain(`KORA_ENABLE_PROJECT_PLUGINS=${JSON.stringify(value)}`);
    expect(err.message).toMatch(/1, true, yes or on .* 0, false, no, off or empty/);
  });

  it('gives KORA_DEV=true and KORA_DEV=yes the meaning of KORA_DEV=1 in the deploy-env gate', () => {
    for (const value of ['1', 'true', 'yes', 'on']) expect(resolveDeployEnv({ env: { KORA_DEV: value } })).toBe('dev');
  });

  it('does not take an unreadable KORA_DEV as production, even with --dev', () => {
    expect(() => resolveDeployEnv({ env: { KORA_DEV: 'ture' }, devFlag: true })).toThrow(EnvError);
  });

  it('still refuses to start with KORA_DEV=0', () => {
    expect(() => resolveDeployEnv({ env: { KORA_DEV: '0' } })).toThrowError(/KORA_DEPLOY_ENV is not set/);
  });
});

describe('readKoraEnv', () => {
  it('returns the typed environment, blanks as unset', () => {
    const env = readKoraEnv({
      KORA_HOME: '/srv/kora',
      KORA_CONFIG: '',
      KORA_DEPLOY_ENV: ' production ',
      KORA_DEV: 'no',
      KORA_LOG_LEVEL: 'DEBUG',
      KORA_STORE_URL: '  ',
      KORA_ENABLE_PROJECT_PLUGINS: 'on',
      KORA_SYSTEM_PROMPT_PATH: './prompt.md',
    });
    expect(env).toEqual({
      home: '/srv/kora',
      config: undefined,
      deployEnv: 'production',
      dev: false,
      logLevel: 'debug',
      storeUrl: undefined,
      enableProjectPlugins: true,
      disableIdentityProvider: false,
      systemPromptPath: './prompt.md',
      soulPath: undefined,
    });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('is all defaults for an empty environment', () => {
    expect(readKoraEnv({})).toMatchObject({ dev: false, logLevel: undefined, storeUrl: undefined, enableProjectPlugins: false, disableIdentityProvider: false });
  });

  it('refuses a log level the logger does not have, listing the ones it has', () => {
    const err = envError({ KORA_LOG_LEVEL: 'verbose' });
    expect(err.issues).toEqual([{ variable: 'KORA_LOG_LEVEL', shown: 'verbose', expected: 'expected one of fatal, error, warn, info, debug, trace, silent' }]);
  });

  it('refuses a store URL with an unknown scheme, without showing its password', () => {
    const err = envError({ KORA_STORE_URL: 'mysql://kora:hunter2@db/kora' });
    expect(err.message).toContain('KORA_STORE_URL');
    expect(err.message).toMatch(/is not a store URL Kora understands\. Accepted forms/);
    expect(err.message).not.toContain('hunter2');
  });

  it('accepts a sqlite and a postgres store URL (postgres is refused later, when the store opens)', () => {
    expect(readKoraEnv({ KORA_STORE_URL: 'sqlite:agent.db' }).storeUrl).toBe('sqlite:agent.db');
    expect(readKoraEnv({ KORA_STORE_URL: 'postgres://db/kora' }).storeUrl).toBe('postgres://db/kora');
  });

  it('refuses identity file variables that are set but blank', () => {
    const err = envError({ KORA_SYSTEM_PROMPT_PATH: '', KORA_SOUL_MD_PATH: '  ' });
    expect(err.issues.map((i) => i.variable)).toEqual(['KORA_SYSTEM_PROMPT_PATH', 'KORA_SOUL_MD_PATH']);
    expect(err.issues[0]?.expected).toMatch(/set but blank/);
  });

  it('refuses a carriage return left by a CRLF env file in a path or the deploy env', () => {
    const err = envError({ KORA_HOME: '/srv/kora\r', KORA_DEPLOY_ENV: 'prod\u0007' });
    expect(err.issues.map((i) => i.variable).sort()).toEqual(['KORA_DEPLOY_ENV', 'KORA_HOME']);
    expect(err.message).toMatch(/control character/);
  });

  it('reports every bad variable at once, in one coded error', () => {
    const err = envError({ KORA_DEV: 'maybe', KORA_DISABLE_IDENTITY_PROVIDER: 'nope', KORA_LOG_LEVEL: 'loud' });
    expect(err.code).toBe('KORA_ERR_ENV_INVALID');
    expect(err.issues.map((i) => i.variable).sort()).toEqual(['KORA_DEV', 'KORA_DISABLE_IDENTITY_PROVIDER', 'KORA_LOG_LEVEL']);
    expect(err.message.split('\n')).toHaveLength(4);
  });
});
