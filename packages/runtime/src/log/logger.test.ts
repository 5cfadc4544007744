import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { redactSecrets, redactUrl } from './redact.js';

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
});
