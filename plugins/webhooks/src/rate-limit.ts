// The public receiver's per-sender rate limit: a fixed window per client address, checked
// synchronously before the body is read. It replaces @fastify/rate-limit on this server, whose
// asynchronous hook and three x-ratelimit-* headers on every answer cost ≈ 5 % of a verified
// webhook's CPU (decision 0173). An IPv6 sender counts per /64, as the library counted it: a
// host is handed a whole /64 and may rotate through it.
import { isIPv6 } from 'node:net';
import type { Clock } from '@kora/runtime';

/** Windows kept at most: past this, expired ones go first, then the oldest. */
export const MAX_SENDERS = 10_000;

interface Window {
  readonly startedAt: number;
  count: number;
}

export class FixedWindowLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #clock: Pick<Clock, 'monotonic'>;
  readonly #capacity: number;
  /** In the order the windows started: a window that restarts is moved to the end. */
  readonly #windows = new Map<string, Window>();

  constructor(options: { max: number; windowMs: number; clock: Pick<Clock, 'monotonic'>; capacity?: number }) {
    this.#max = options.max;
    this.#windowMs = options.windowMs;
    this.#clock = options.clock;
    this.#capacity = options.capacity ?? MAX_SENDERS;
  }

  /** Count one request of `sender`: 0 when it is within the limit, else the ms until its window ends. */
  take(sender: string): number {
    const now = this.#clock.monotonic();
    const window = this.#windows.get(sender);
    if (window && now - window.startedAt < this.#windowMs) {
      window.count += 1;
      return window.count <= this.#max ? 0 : window.startedAt + this.#windowMs - now;
    }
    if (window) this.#windows.delete(sender);
    else if (this.#windows.size >= this.#capacity) this.#evict(now);
    this.#windows.set(sender, { startedAt: now, count: 1 });
    return 1 <= this.#max ? 0 : this.#windowMs;
  }

  get senders(): number {
    return this.#windows.size;
  }

  #evict(now: number): void {
    // Oldest first: every expired window is at the front, and the first live one ends the sweep.
    for (const [sender, window] of this.#windows) {
      if (now - window.startedAt < this.#windowMs && this.#windows.size < this.#capacity) return;
      this.#windows.delete(sender);
      if (now - window.startedAt < this.#windowMs) return;
    }
  }
}

/** The sender a client address counts as: an IPv4 address (also when IPv4-mapped), or an IPv6 /64. */
export function senderOf(ip: string): string {
  // `includes` first: net.isIPv6 is a long regular expression, and most senders are IPv4.
  if (!ip.includes(':') || !isIPv6(ip)) return ip;
  const groups = expandIPv6(ip.split('%')[0]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address in any textual form (RFC 4291 §2.2). */
function expandIPv6(address: string): number[] {
  // A trailing dotted quad is the last two groups: rewritten as hex, the rest is one grammar.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = quad ? `${address.slice(0, quad.index)}${((Number(quad[1]) << 8) | Number(quad[2])).toString(16)}:${((Number(quad[3]) << 8) | Number(quad[4])).toString(16)}` : address;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = parse(head);
  if (rest === undefined) return left;
  const right = parse(rest);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}
