import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSecretScrubber, SECRET_SHAPES } from './scrubber.js';

const env = {
  KORA_TEST_TOKEN: 'tok-4f9a1c77e2',
  ANTHROPIC_API_KEY: 'sk-ant-api03-abcdefghijklmnop',
  DATABASE_URL: 'postgres://kora:pg%40ssw0rd@db:5432/kora',
  SMTP_PASS: 'mail-pass-991',
  GITHUB_PAT: 'ghp_0123456789abcdef',
  SENTRY_DSN: 'https://abc123def@o1.ingest.sentry.io/42',
  SHORT_TOKEN: 'abc',
  KORA_DEPLOY_ENV: 'production',
  PATH: '/usr/bin:/bin',
};

describe('secret scrubber', () => {
  it('scrubs the values of secret-named environment variables wherever they appear', () => {
    const s = createSecretScrubber({ env });
    const out = s.scrub('calling with tok-4f9a1c77e2 and sk-ant-api03-abcdefghijklmnop; smtp mail-pass-991; gh ghp_0123456789abcdef');
    expect(out).toBe('calling with [redacted] and [redacted]; smtp [redacted]; gh [redacted]');
  });

  it('scrubs each secret of a comma-separated list on its own (KORA_MCP_BEARER_TOKEN=a,b)', () => {
    const s = createSecretScrubber({ env: { KORA_MCP_BEARER_TOKEN: 'caller-one-token, caller-two-token' } });
    expect(s.scrub('Bearer caller-two-token from ops; caller-one-token too')).not.toMatch(/caller-(one|two)-token/);
  });

  it('leaves ordinary environment values and too-short secrets alone', () => {
    const s = createSecretScrubber({ env });
    expect(s.scrub('deploy env production, PATH /usr/bin:/bin, abc')).toBe('deploy env production, PATH /usr/bin:/bin, abc');
  });

  it('scrubs the password of a URL in the environment, as written and percent-decoded', () => {
    const s = createSecretScrubber({ env });
    expect(s.scrub('password authentication failed: pg@ssw0rd')).toBe('password authentication failed: [redacted]');
    expect(s.scrub('DATABASE_URL=postgres://kora:pg%40ssw0rd@db:5432/kora')).toBe('DATABASE_URL=postgres://kora:[redacted]@db:5432/kora');
  });

  it('scrubs config values under secret-looking keys at any depth, and URL passwords anywhere in it', () => {
    const config = { plugins: { config: { slack: { botToken: 'xoxb-1111-2222', channels: ['general'] }, mail: { smtp: { password: 'hunter22' } } } }, store: { url: 'postgres://u:dbpw-77x@h/k' } };
    const s = createSecretScrubber({ config });
    expect(s.scrub('xoxb-1111-2222 hunter22 dbpw-77x general')).toBe('[redacted] [redacted] [redacted] general');
  });

  it('scrubs a secret that contains another one whole', () => {
    const s = createSecretScrubber({ env: { A_TOKEN: 'abcdef', B_TOKEN: 'abcdef-long-version' } });
    expect(s.scrub('x abcdef-long-version y')).toBe('x [redacted] y');
  });

  it('scrubs secrets it learns later', () => {
    const s = createSecretScrubber();
    s.add('fetched-at-runtime');
    s.add('tiny');
    expect(s.scrub('fetched-at-runtime tiny')).toBe('[redacted] tiny');
  });

  it('scrubs a secret with regex characters and quotes, raw and as JSON escapes it', () => {
    const s = createSecretScrubber({ env: { X_SECRET: 'a+b*"c\\d(e)' } });
    expect(s.scrub('raw a+b*"c\\d(e) end')).toBe('raw [redacted] end');
    expect(s.scrub(JSON.stringify({ v: 'a+b*"c\\d(e)' }))).toBe('{"v":"[redacted]"}');
  });

  it('scrubs Bearer tokens, Basic credentials and URL passwords with no prior knowledge', () => {
    const s = createSecretScrubber();
    const basic = Buffer.from('ann:open-sesame').toString('base64');
    expect(s.scrub('Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9-x_y')).toBe('Authorization: Bearer [redacted]');
    expect(s.scrub(`Authorization: Basic ${basic}`)).toBe('Authorization: Basic [redacted]');
    expect(s.scrub('fetch https://ann:s3cr3t@api.example.com/v1 failed')).toBe('fetch https://ann:[redacted]@api.example.com/v1 failed');
    expect(s.scrub('{"url":"redis://:pw-only@cache:6379"}')).toBe('{"url":"redis://:[redacted]@cache:6379"}');
  });

  it('skips a shape only where it cannot match: the same as running every expression on every string', () => {
    const s = createSecretScrubber();
    const everyShape = (text: string) => SECRET_SHAPES.reduce((out, shape) => out.replace(shape.re, shape.replace as (m: string, ...g: string[]) => string), text);
    const piece = fc.constantFrom('Bearer ', 'Basic ', 'bearer ', 'https://', 'redis://', '://', '@', ':', 'ann', 's3cr3t-pw', 'eyJhbGciOi.JIUzI1NiJ9', Buffer.from('ann:pw').toString('base64'), ' ', '"', '/', '=');
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 6 })), { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        expect(s.scrub(text)).toBe(everyShape(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('does not mistake prose for credentials', () => {
    const s = createSecretScrubber();
    const prose = 'Basic configuration uses a Bearer token; see https://example.com/a:b@c and mailto:ann@example.com';
    expect(s.scrub(prose)).toBe(prose);
  });

  it('scrubDeep copies, redacting secret keys, scrubbing strings and serialising errors', () => {
    const s = createSecretScrubber({ env });
    const err = Object.assign(new Error('connect failed with tok-4f9a1c77e2'), { code: 'E_AUTH', apiKey: 'zzz' });
    const input = { msg: 'using tok-4f9a1c77e2', nested: [{ password: 'x' }, 'sk-ant-api03-abcdefghijklmnop'], err, when: new Date(0) };
    const out = s.scrubDeep(input);
    expect(out).toMatchObject({ msg: 'using [redacted]', nested: [{ password: '[redacted]' }, '[redacted]'], err: { type: 'Error', message: 'connect failed with [redacted]', code: 'E_AUTH', apiKey: '[redacted]' } });
    expect(JSON.stringify(out)).not.toContain('tok-4f9a1c77e2');
    expect(input.msg).toBe('using tok-4f9a1c77e2');
    expect(out.when).toBe(input.when);
  });

  it('scrubDeep scrubs error stacks and causes', () => {
    const s = createSecretScrubber({ env });
    const err = new Error('outer', { cause: new Error('inner sk-ant-api03-abcdefghijklmnop') });
    const out = s.scrubDeep({ err }) as unknown as { err: { stack: string; cause: { message: string; stack: string } } };
    expect(out.err.cause.message).toBe('inner [redacted]');
    expect(out.err.cause.stack).not.toContain('sk-ant');
    expect(out.err.stack).toContain('outer');
  });

  it('scrubDeep survives cycles', () => {
    const s = createSecretScrubber();
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(s.scrubDeep(a)).toEqual({ name: 'a', self: '[circular]' });
  });
});
