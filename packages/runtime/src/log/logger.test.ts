import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { redactSecrets, redactUrl } from './redact.js';
import { createSecretScrubber } from './scrubber.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  it('writes JSON lines with the child bindings of plugin and daemon', async () => {
    const { lines, destination } = capture();
    const log = await createLogger({ destination });
    log.child({ plugin: 'slack' }).child({ daemon: 'slack_client' }).info('connected');
    expect(lines[0]).toMatchObject({ level: 30, plugin: 'slack', daemon: 'slack_client', msg: 'connected' });
  });

  it('redacts secret-keyed values at any depth, keeping the rest', async () => {
    const { lines, destination } = capture();
    const log = await createLogger({ destination });
    log.info({ request: { headers: { Authorization: 'Bearer sk-live-123' }, body: { apiKey: 'abc', user: 'ann' } }, smtp: { password: 'hunter2', host: 'mail' } }, 'sent');
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('sk-live-123');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('"abc"');
    expect(lines[0]).toMatchObject({ request: { headers: { Authorization: '[redacted]' }, body: { apiKey: '[redacted]', user: 'ann' } }, smtp: { password: '[redacted]', host: 'mail' } });
  });

  const env = { KORA_TEST_TOKEN: 'tok-4f9a1c77e2', DATABASE_URL: 'postgres://kora:pw-5566aa@db/kora', ANTHROPIC_API_KEY: 'sk-ant-api03-zzzzzzzz', HOME: '/home/ann' };
  const planted = ['tok-4f9a1c77e2', 'pw-5566aa', 'sk-ant-api03-zzzzzzzz'];

  it('scrubs known secret values from the message, interpolated arguments and fields under ordinary keys', async () => {
    const { lines, destination } = capture();
    const log = await createLogger({ destination, scrubber: createSecretScrubber({ env }) });
    log.info({ note: 'token is tok-4f9a1c77e2', list: ['pw-5566aa'] }, 'calling with %s and sk-ant-api03-zzzzzzzz', 'tok-4f9a1c77e2');
    const text = JSON.stringify(lines);
    for (const secret of planted) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ msg: 'calling with [redacted] and [redacted]', note: 'token is [redacted]', list: ['[redacted]'] });
  });

  it('scrubs an environment logged whole', async () => {
    const { lines, destination } = capture();
    const log = await createLogger({ destination, scrubber: createSecretScrubber({ env }) });
    log.info({ env }, 'my env');
    const text = JSON.stringify(lines);
    for (const secret of planted) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ env: { HOME: '/home/ann', DATABASE_URL: 'postgres://kora:[redacted]@db/kora' } });
  });

  it('scrubs error messages, stacks, causes and own properties, keeping type and code', async () => {
    const { lines, destination } = capture();
    const log = await createLogger({ destination, scrubber: createSecretScrubber({ env }) });
    const err = Object.assign(new TypeError('rejected tok-4f9a1c77e2', { cause: new Error('db said pw-5566aa') }), { code: 'E_X', url: 'postgres://kora:pw-5566aa@db/kora' });
    log.error({ err }, 'failed');
    log.error(err);
    const text = JSON.stringify(lines);
    for (const secret of planted) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ err: { type: 'TypeError', message: 'rejected [redacted]', code: 'E_X', cause: { message: 'db said [redacted]' } } });
    expect((lines[0]?.err as { stack: string }).stack).toMatch(/^TypeError: rejected \[redacted\]\n +at /);
    expect(lines[1]).toMatchObject({ msg: 'rejected [redacted]', err: { type: 'TypeError' } });
  });

  it('scrubs a thrown value that is not an Error', async () => {
    const { lines, destination } = capture();
    const log = await createLogger({ destination, scrubber: createSecretScrubber({ env }) });
    log.error({ err: { reason: 'bad tok-4f9a1c77e2', apiKey: 'k' } }, 'odd throw');
    log.error({ err: 'plain string sk-ant-api03-zzzzzzzz' }, 'string throw');
    const text = JSON.stringify(lines);
    for (const secret of planted) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ err: { reason: 'bad [redacted]', apiKey: '[redacted]' } });
    expect(lines[1]).toMatchObject({ err: 'plain string [redacted]' });
  });

  it('scrubs child bindings', async () => {
    const { lines, destination } = capture();
    const log = await createLogger({ destination, scrubber: createSecretScrubber({ env }) });
    log.child({ plugin: 'p', dsn: 'x' }).child({ label: 'tok-4f9a1c77e2' }).info('hi');
    expect(lines[0]).toMatchObject({ plugin: 'p', dsn: '[redacted]', label: '[redacted]' });
  });

  it('scrubs Bearer tokens and URL passwords even without a scrubber that knows values', async () => {
    const { lines, destination } = capture();
    const log = await createLogger({ destination });
    log.warn({ header: 'Bearer abcdefgh12345678' }, 'GET https://u:hidden-pw@api/x');
    expect(lines[0]).toMatchObject({ header: 'Bearer [redacted]', msg: 'GET https://u:[redacted]@api/x' });
  });

  it('honours the level', async () => {
    const { lines, destination } = capture();
    const log = await createLogger({ destination, level: 'warn' });
    log.info('quiet');
    log.warn('loud');
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
  });
});

describe('redaction helpers', () => {
  it('keys: tokens, passwords, secrets, api keys, cookies; not ordinary words', () => {
    const out = redactSecrets({ slackToken: 'x', bot_token: 'x', client_secret: 'x', api_key: 'x', cookie: 'x', tokens_used: 5, name: 'n' });
    expect(out).toEqual({ slackToken: '[redacted]', bot_token: '[redacted]', client_secret: '[redacted]', api_key: '[redacted]', cookie: '[redacted]', tokens_used: 5, name: 'n' });
  });

  it('hides the password in a URL', () => {
    expect(redactUrl('postgres://kora:s3cret@db:5432/kora')).toBe('postgres://kora:[redacted]@db:5432/kora');
    expect(redactUrl('postgres://db/kora')).toBe('postgres://db/kora');
  });

  it('writes readable lines to stderr in dev, scrubbed, in the order they were logged', () => {
    // The built logger in a fresh process: its pino-pretty formatter writes straight to fd 2.
    const internal = pathToFileURL(join(import.meta.dirname, '../../dist/internal.js')).href;
    const body = `const k = await import(${JSON.stringify(internal)});
const log = await k.createLogger({ pretty: true, scrubber: k.createSecretScrubber({ env: { KORA_SLACK_BOT_TOKEN: 's3cret-value-1234' } }) });
log.info({ part: 'store', token: 'Bearer abcdefghijklmnop' }, 'store opened');
log.child({ plugin: 'web' }).warn('the key s3cret-value-1234 was refused');
log.error({ err: new Error('boom') }, 'it failed');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', body], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    // eslint-disable-next-line no-control-regex -- ANSI colour codes, if the terminal check turned them on
    const text = r.stderr.replace(/\x1b\[[0-9;]*m/g, '');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: store opened\n {4}part: "store"\n {4}token: "\[redacted\]"\n/);
    expect(text).toMatch(/\] WARN: the key \[redacted\] was refused\n {4}plugin: "web"\n/);
    expect(text).toMatch(/\] ERROR: it failed\n {4}err: \{[\s\S]*"message": "boom"/);
    expect(text.indexOf('store opened')).toBeLessThan(text.indexOf('was refused'));
    expect(text).not.toContain('s3cret-value-1234');
    expect(text).not.toContain('abcdefghijklmnop');
  });
});
