// The plugin's entry loads no SDK, nor does the daemon's start: the engine's first model call does
// (decision 0141, which supersedes 0060's import at the start). Checked on the
// built package in a fresh Node process whose resolve hook reports every SDK import.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = join(import.meta.dirname, '../dist');
const WATCH = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent("export async function resolve(s, c, n) { if (s.startsWith('@anthropic-ai/sdk')) process.stdout.write('SDK-RESOLVED\\\\n'); return n(s, c); }"));`;

function run(body: string): string {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `${WATCH}\n${body}`], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('the Anthropic SDK', () => {
  it('is not imported by the plugin entry, nor by registering it', () => {
    const out = run(`const { default: plugin } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'index.js')).href)});
plugin.register({ config: undefined, registerDaemon: () => {}, contribute: () => {}, services: { provide: () => {} } });
process.stdout.write('REGISTERED\\n');`);
    expect(out).toBe('REGISTERED\n');
  });

  it('is not imported when the engine client is built at the daemon start, but at its first call, once', () => {
    const out = run(`const { createMessagesClient } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'client.js')).href)});
const client = createMessagesClient({ credential: { kind: 'oauth', token: 't', from: 'CLAUDE_CODE_OAUTH_TOKEN' }, baseUrl: 'http://127.0.0.1:9', timeoutMs: 1000, retries: 0, oauthBeta: false, log: console });
process.stdout.write('BUILT\\n');
const request = { model: 'claude-haiku-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] };
for (let i = 0; i < 2; i++) {
  const err = await client.create(request).then(() => null, (e) => e);
  process.stdout.write(err.code + '\\n');
}`);
    // Port 9 on loopback refuses the connection: both calls fail with the engine's coded error.
    expect(out).toBe('BUILT\nSDK-RESOLVED\nKORA_ERR_REASONING_API\nKORA_ERR_REASONING_API\n');
  });
});
