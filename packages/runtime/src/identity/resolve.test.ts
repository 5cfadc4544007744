import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdentityError } from '../errors.js';
import { createTestBus } from '../hooks/__fixtures__/bus.js';
import { freezeIdentity, isValidIdentitySpec, resolveIdentity } from './resolve.js';
import type { IdentitySpec } from './types.js';

const request = { deployEnv: 'test', home: '/tmp/kora-home' };
const spec = (systemPrompt: string, metadata: Record<string, unknown> = {}): IdentitySpec => ({ soul: `soul of ${systemPrompt}`, systemPrompt, metadata });

describe('resolveIdentity', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kora-identity-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes the first valid spec in plugin order, and names it by metadata.agent_name', async () => {
    const { bus, log } = createTestBus();
    const asked: string[] = [];
    bus.register('quiet', 'pre_agent_identity_set', () => void asked.push('quiet'));
    bus.register('marvin', 'pre_agent_identity_set', async () => {
      asked.push('marvin');
      return spec('You are Marvin.', { agent_name: 'Marvin' });
    });
    bus.register('kora', 'pre_agent_identity_set', () => {
      asked.push('kora');
      return spec('You are Kora.', { agent_name: 'Kora' });
    });
    const identity = await resolveIdentity({ hooks: bus, request, logger: log.logger });
    expect(identity).toEqual({ spec: spec('You are Marvin.', { agent_name: 'Marvin' }), source: { kind: 'plugin', pluginId: 'marvin' }, agentName: 'Marvin' });
    expect(asked).toEqual(['quiet', 'marvin']);
  });

  it('passes the request to providers', async () => {
    const { bus, log } = createTestBus();
    let seen: unknown;
    bus.register('kora', 'pre_agent_identity_set', (req) => {
      seen = req;
      return spec('p');
    });
    await resolveIdentity({ hooks: bus, request, logger: log.logger });
    expect(seen).toEqual(request);
  });

  it('skips a provider with a blank or missing system prompt, with a warning naming the plugin', async () => {
    const { bus, log } = createTestBus();
    bus.register('blank', 'pre_agent_identity_set', () => spec('   \n'));
    bus.register('missing', 'pre_agent_identity_set', (() => ({ soul: 's', metadata: {} })) as never);
    bus.register('kora', 'pre_agent_identity_set', () => spec('You are Kora.'));
    const identity = await resolveIdentity({ hooks: bus, request, logger: log.logger });
    expect(identity.source).toEqual({ kind: 'plugin', pluginId: 'kora' });
    expect(identity.agentName).toBe('kora');
    const warnings = log.at('warn');
    expect(warnings.map((w) => w.pluginId)).toEqual(['blank', 'missing']);
    expect(warnings[0]!.msg).toContain('systemPrompt is blank');
    expect(warnings[1]!.msg).toContain('systemPrompt is missing');
  });

  it('skips a provider that throws (logged) and asks the next', async () => {
    const { bus, log } = createTestBus();
    bus.register('broken', 'pre_agent_identity_set', async () => {
      throw new Error('cannot read SOUL.md');
    });
    bus.register('kora', 'pre_agent_identity_set', () => spec('You are Kora.'));
    const identity = await resolveIdentity({ hooks: bus, request, logger: log.logger });
    expect(identity.source).toEqual({ kind: 'plugin', pluginId: 'kora' });
    expect(log.at('error')).toEqual([expect.objectContaining({ pluginId: 'broken', hook: 'pre_agent_identity_set' })]);
  });

  it('falls back to the files when no provider claims', async () => {
    const { bus, log } = createTestBus();
    bus.register('kora', 'pre_agent_identity_set', () => null);
    const systemPromptPath = join(dir, 'ops-agent.md');
    const soulPath = join(dir, 'SOUL.md');
    await writeFile(systemPromptPath, 'You are the ops agent.\n');
    await writeFile(soulPath, 'Calm and precise.\n');
    const identity = await resolveIdentity({ hooks: bus, request, files: { systemPromptPath, soulPath }, logger: log.logger });
    expect(identity.spec.systemPrompt).toBe('You are the ops agent.\n');
    expect(identity.spec.soul).toBe('Calm and precise.\n');
    expect(identity.source).toEqual({ kind: 'file', path: systemPromptPath });
    expect(identity.agentName).toBe('ops-agent');
  });

  it('reads a file identity without a soul file as an empty soul', async () => {
    const { bus, log } = createTestBus();
    const systemPromptPath = join(dir, 'prompt.txt');
    await writeFile(systemPromptPath, 'Prompt.');
    const identity = await resolveIdentity({ hooks: bus, request, files: { systemPromptPath }, logger: log.logger });
    expect(identity.spec.soul).toBe('');
    expect(identity.agentName).toBe('prompt');
  });

  it('prefers a provider over the files', async () => {
    const { bus, log } = createTestBus();
    bus.register('kora', 'pre_agent_identity_set', () => spec('You are Kora.'));
    const identity = await resolveIdentity({ hooks: bus, request, files: { systemPromptPath: join(dir, 'does-not-exist.md') }, logger: log.logger });
    expect(identity.source).toEqual({ kind: 'plugin', pluginId: 'kora' });
  });

  it('fails with an IdentityError naming the path and the env var when a named file does not exist', async () => {
    const { bus, log } = createTestBus();
    const systemPromptPath = join(dir, 'nope.md');
    const error = await resolveIdentity({ hooks: bus, request, files: { systemPromptPath }, logger: log.logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityError);
    expect((error as IdentityError).code).toBe('KORA_ERR_IDENTITY_UNRESOLVED');
    expect((error as Error).message).toContain(systemPromptPath);
    expect((error as Error).message).toContain('KORA_SYSTEM_PROMPT_PATH');

    await writeFile(systemPromptPath, 'Prompt.');
    const soulPath = join(dir, 'missing-soul.md');
    await expect(resolveIdentity({ hooks: bus, request, files: { systemPromptPath, soulPath }, logger: log.logger })).rejects.toThrow(
      new RegExp(`${soulPath}.*KORA_SOUL_MD_PATH`),
    );
  });

  it('refuses an empty system prompt file', async () => {
    const { bus, log } = createTestBus();
    const systemPromptPath = join(dir, 'empty.md');
    await writeFile(systemPromptPath, '  \n');
    await expect(resolveIdentity({ hooks: bus, request, files: { systemPromptPath }, logger: log.logger })).rejects.toThrow(/empty/);
  });

  it('fails closed with an IdentityError saying what to set when nothing claims and no file is named', async () => {
    const { bus, log } = createTestBus();
    bus.register('kora', 'pre_agent_identity_set', () => null);
    const error = await resolveIdentity({ hooks: bus, request, files: { systemPromptPath: '  ' }, logger: log.logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityError);
    const message = (error as Error).message;
    expect(message).toContain('No plugin claimed an identity');
    expect(message).toContain('`kora`');
    expect(message).toContain('KORA_SYSTEM_PROMPT_PATH');
    expect(message).toContain('KORA_SOUL_MD_PATH');
    expect(message).toContain('kora');
    expect((error as IdentityError).details).toMatchObject({ providers: ['kora'] });
  });

  it('does not accept a soul file alone as an identity', async () => {
    const { bus, log } = createTestBus();
    const soulPath = join(dir, 'SOUL.md');
    await writeFile(soulPath, 'soul');
    await expect(resolveIdentity({ hooks: bus, request, files: { soulPath }, logger: log.logger })).rejects.toThrow(/KORA_SYSTEM_PROMPT_PATH/);
  });

  it('returns a deep-frozen copy the provider can no longer change', async () => {
    const { bus, log } = createTestBus();
    const metadata = { agent_name: 'Kora', tags: ['ops'], nested: { level: 1 } };
    const provided = { soul: 's', systemPrompt: 'p', metadata };
    bus.register('kora', 'pre_agent_identity_set', () => provided);
    const identity = await resolveIdentity({ hooks: bus, request, logger: log.logger });
    metadata.tags.push('changed');
    metadata.nested.level = 2;
    provided.systemPrompt = 'changed';
    expect(identity.spec).toEqual({ soul: 's', systemPrompt: 'p', metadata: { agent_name: 'Kora', tags: ['ops'], nested: { level: 1 } } });
    expect(Object.isFrozen(identity)).toBe(true);
    expect(Object.isFrozen(identity.source)).toBe(true);
    expect(Object.isFrozen(identity.spec)).toBe(true);
    expect(Object.isFrozen(identity.spec.metadata)).toBe(true);
    expect(Object.isFrozen(identity.spec.metadata.tags)).toBe(true);
    expect(Object.isFrozen(identity.spec.metadata.nested)).toBe(true);
    expect(() => {
      (identity.spec.metadata.nested as { level: number }).level = 3;
    }).toThrow(TypeError);
  });
});

describe('isValidIdentitySpec', () => {
  it.each([
    ['a full spec', { soul: '', systemPrompt: 'p', metadata: {} }, true],
    ['null', null, false],
    ['an array', [], false],
    ['a blank prompt', { soul: '', systemPrompt: ' \t', metadata: {} }, false],
    ['a missing prompt', { soul: '', metadata: {} }, false],
    ['a missing soul', { systemPrompt: 'p', metadata: {} }, false],
    ['array metadata', { soul: '', systemPrompt: 'p', metadata: [] }, false],
  ])('%s → %s', (_name, value, valid) => {
    expect(isValidIdentitySpec(value)).toBe(valid);
  });
});

describe('freezeIdentity', () => {
  it('copies cyclic metadata without looping', () => {
    const metadata: Record<string, unknown> = { name: 'x' };
    metadata.self = metadata;
    const frozen = freezeIdentity({ soul: '', systemPrompt: 'p', metadata });
    expect(frozen.metadata.self).toBe(frozen.metadata);
    expect(frozen.metadata).not.toBe(metadata);
  });
});
