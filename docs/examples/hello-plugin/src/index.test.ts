// The plugin's own tests: its real register() against the runtime's real parts, through the
// harness of @kora/runtime/testing, on a clock that moves only when told to.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPluginHarness } from '@kora/runtime/testing';
import hello from './index.js';

test('claims the identity with the configured name', async () => {
  const harness = await createPluginHarness(hello, { config: { name: 'Hallo' } });
  try {
    const identity = await harness.resolveIdentity();
    assert.equal(identity.agentName, 'Hallo');
    assert.match(identity.spec.systemPrompt, /You are Hallo/);
  } finally {
    await harness.close();
  }
});

test('counts one greeting per run of its task, in its own store', async () => {
  const harness = await createPluginHarness(hello);
  try {
    await harness.startDaemons();
    assert.equal((await harness.runTask('hello.greet')).status, 'ok');
    assert.equal((await harness.runTask('hello.greet')).status, 'ok');
    assert.equal(await harness.store.kv('hello').get('greetings'), 2);
    assert.ok(harness.logs.some((line) => line.msg === 'Hello says hello (#2)'));
  } finally {
    await harness.close();
  }
});

test('refuses a config its schema rejects', async () => {
  await assert.rejects(createPluginHarness(hello, { config: { name: '' } }), { code: 'KORA_ERR_CONFIG_INVALID' });
});
