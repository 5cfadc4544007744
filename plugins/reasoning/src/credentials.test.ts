import { createPluginHarness } from '@kora/runtime/testing';
import { describe, expect, it } from 'vitest';
import { readCredential } from './credentials.js';
import { identityPlugin, engineRigs } from './engine.test-helper.js';
import plugin from './index.js';

const rig = engineRigs();
const hello = { route: 'cli', messages: [{ role: 'user' as const, content: 'hello' }] };

describe('credentials', () => {
  it('without any credential the daemon fails to start with ReasoningEngineNotConfigured naming the variables', async () => {
    const harness = await createPluginHarness([identityPlugin, plugin], { env: { ANTHROPIC_API_KEY: '  ' } });
    try {
      await harness.resolveIdentity();
      const [status] = await harness.startDaemons();
      expect(status).toMatchObject({ name: 'reasoning_engine', state: 'failed', fatal: false, errorCode: 'KORA_ERR_REASONING_NOT_CONFIGURED' });
      for (const name of ['ReasoningEngineNotConfigured', 'CLAUDE_CODE_OAUTH_TOKEN', 'KORA_ANTHROPIC_API_KEY', 'ANTHROPIC_API_KEY']) expect(status!.error).toContain(name);
      expect(harness.services.has('engine')).toBe(false);
    } finally {
      await harness.close();
    }
  });

  it('prefers the OAuth token, then KORA_ANTHROPIC_API_KEY, then ANTHROPIC_API_KEY', () => {
    expect(readCredential({ CLAUDE_CODE_OAUTH_TOKEN: 't', KORA_ANTHROPIC_API_KEY: 'k', ANTHROPIC_API_KEY: 'a' })).toMatchObject({ kind: 'oauth', from: 'CLAUDE_CODE_OAUTH_TOKEN' });
    expect(readCredential({ KORA_ANTHROPIC_API_KEY: 'k', ANTHROPIC_API_KEY: 'a' })).toMatchObject({ kind: 'apiKey', key: 'k', from: 'KORA_ANTHROPIC_API_KEY' });
    expect(readCredential({ CLAUDE_CODE_OAUTH_TOKEN: '', ANTHROPIC_API_KEY: 'a' })).toMatchObject({ kind: 'apiKey', key: 'a', from: 'ANTHROPIC_API_KEY' });
  });

  it('sends the OAuth token as a bearer token with the OAuth beta flag, and no API key', async () => {
    const { api, engine, harness } = await rig({ env: { CLAUDE_CODE_OAUTH_TOKEN: 'oauth-secret-123' } });
    await engine.respond(hello);
    const headers = api.requests[0]!.headers;
    expect(headers.authorization).toBe('Bearer oauth-secret-123');
    expect(headers['x-api-key']).toBeUndefined();
    expect(headers['anthropic-beta']).toBe('oauth-2025-04-20');
    expect(JSON.stringify(harness.logs)).not.toContain('oauth-secret-123');
    expect(JSON.stringify(harness.logs)).toContain('CLAUDE_CODE_OAUTH_TOKEN');
  });

  it('sends an API key as x-api-key, on retries too, and no Authorization header', async () => {
    const { api, engine, harness } = await rig({ env: { CLAUDE_CODE_OAUTH_TOKEN: '', KORA_ANTHROPIC_API_KEY: 'sk-ant-key-456' } });
    const { apiError } = await import('../../../test/fakes/anthropic.js');
    api.enqueue(apiError(500, { retryAfterMs: 1 }));
    await engine.respond(hello);
    expect(api.requests).toHaveLength(2);
    for (const { headers } of api.requests) {
      expect(headers['x-api-key']).toBe('sk-ant-key-456');
      expect(headers.authorization).toBeUndefined();
      expect(headers['anthropic-beta']).toBeUndefined();
    }
    expect(JSON.stringify(harness.logs)).not.toContain('sk-ant-key-456');
  });

  it('takes the base URL from ANTHROPIC_BASE_URL over the config', async () => {
    const { api, engine } = await rig({ config: { baseUrl: 'http://127.0.0.1:9/nowhere' } });
    await engine.respond(hello);
    expect(api.requests).toHaveLength(1);
  });

  it.each([['not-a-url'], ['ftp://api.example.com'], ['https://user:hunter2@']])('fails to start with KORA_ERR_ENV_INVALID naming ANTHROPIC_BASE_URL=%s, never its password', async (value) => {
    const harness = await createPluginHarness([identityPlugin, plugin], { env: { ANTHROPIC_API_KEY: 'sk-ant-key', ANTHROPIC_BASE_URL: value } });
    try {
      await harness.resolveIdentity();
      const [status] = await harness.startDaemons();
      expect(status).toMatchObject({ name: 'reasoning_engine', state: 'failed', errorCode: 'KORA_ERR_ENV_INVALID', error: expect.stringContaining('ANTHROPIC_BASE_URL') });
      expect(status!.error).not.toContain('hunter2');
    } finally {
      await harness.close();
    }
  });

  it('does not start without an identity: the agent does not speak', async () => {
    const harness = await createPluginHarness(plugin, { env: { CLAUDE_CODE_OAUTH_TOKEN: 't' } });
    try {
      const [status] = await harness.startDaemons();
      expect(status).toMatchObject({ state: 'failed', errorCode: 'KORA_ERR_IDENTITY_UNRESOLVED' });
    } finally {
      await harness.close();
    }
  });
});
