// The receiver's rate limit: a fixed window per sender, a retry time on refusal, memory bounded
// with expired windows dropped first, and IPv6 senders counted per /64.
import { ManualClock } from '@kora/runtime/testing';
import { describe, expect, it } from 'vitest';
import { webhooksConfigSchema } from './config.js';
import { FixedWindowLimiter, senderOf } from './rate-limit.js';

describe('FixedWindowLimiter', () => {
  it('lets max requests of a sender through per window, then says how long until the window ends', async () => {
    const clock = new ManualClock();
    const limiter = new FixedWindowLimiter({ max: 2, windowMs: 60_000, clock });
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 0]);
    await clock.advance(15_000);
    expect(limiter.take('a')).toBe(45_000);
    expect(limiter.take('b')).toBe(0); // another sender has a window of its own
    await clock.advance(45_000);
    expect(limiter.take('a')).toBe(0); // a new window
  });

  it('refuses the second request of a window at once when max is 1', () => {
    const clock = new ManualClock();
    const limiter = new FixedWindowLimiter({ max: 1, windowMs: 1_000, clock });
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 1_000]);
  });

  it('keeps at most capacity senders: expired windows go first, then the oldest live one', async () => {
    const clock = new ManualClock();
    const limiter = new FixedWindowLimiter({ max: 1, windowMs: 10_000, clock, capacity: 3 });
    limiter.take('old1');
    limiter.take('old2');
    await clock.advance(10_000);
    limiter.take('live');
    expect(limiter.senders).toBe(3);
    limiter.take('new'); // both expired windows go; the live one stays
    expect(limiter.senders).toBe(2);
    expect(limiter.take('live')).toBeGreaterThan(0);
    limiter.take('x');
    limiter.take('y'); // full of live windows: the oldest ('live') goes
    expect(limiter.senders).toBe(3);
    expect(limiter.take('live')).toBe(0);
  });
});

describe('senderOf', () => {
  it('counts an IPv4 address as itself, also when IPv4-mapped', () => {
    expect(senderOf('203.0.113.7')).toBe('203.0.113.7');
    expect(senderOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(senderOf('::ffff:cb00:7107')).toBe('203.0.113.7');
  });

  it('counts an IPv6 address as its /64, however it is written', () => {
    const sender = '2001:db8:85a3:1::/64';
    for (const ip of ['2001:db8:85a3:1::1', '2001:0db8:85a3:0001:0000:0000:0000:0002', '2001:DB8:85A3:1:ffff:ffff:ffff:ffff', '2001:db8:85a3:1:0:0:192.0.2.1', '2001:db8:85a3:1::1%eth0']) {
      expect(senderOf(ip)).toBe(sender);
    }
    expect(senderOf('2001:db8:85a3:2::1')).toBe('2001:db8:85a3:2::/64');
    expect(senderOf('::1')).toBe('0:0:0:0::/64');
    expect(senderOf('fe80::1')).toBe('fe80:0:0:0::/64');
  });
});

describe('the rateLimit config', () => {
  it('takes the window in ms or as kora.yaml writes durations, and names the grammar otherwise', () => {
    const parse = (timeWindow: unknown) => webhooksConfigSchema.safeParse({ rateLimit: { max: 5, timeWindow } });
    expect(parse('30s').data?.rateLimit?.timeWindow).toBe(30_000);
    expect(parse(60_000).data?.rateLimit?.timeWindow).toBe(60_000);
    const bad = parse('1 minute');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/expected a duration: an integer and a unit, e\.g\. 500ms, 30s, 5m, 2h, 1d \(got "1 minute"\)/);
  });
});
