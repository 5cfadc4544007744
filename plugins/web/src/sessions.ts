// UI sessions, kept in memory: the cookie holds a random id and nothing else, so the admin
// token never travels again after login. Each session has its own CSRF token for the forms.
// A gateway restart logs everyone out, which is the safe default for an admin surface.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@kora/runtime';

export const SESSION_COOKIE = 'kora_session';
const MAX_SESSIONS = 256;

export interface Session {
  readonly id: string;
  readonly csrf: string;
  lastSeen: number;
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #clock: Clock;
  readonly #idleMs: number;

  constructor(clock: Clock, idleMs: number) {
    this.#clock = clock;
    this.#idleMs = idleMs;
  }

  create(): Session {
    this.#sweep();
    // The oldest session makes room: a flood of logins cannot grow memory without bound.
    while (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const session: Session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), lastSeen: this.#clock.now() };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session of `id`, its idle time renewed; null when unknown or expired. */
  touch(id: string | undefined): Session | null {
    if (!id) return null;
    const session = this.#sessions.get(id);
    if (!session) return null;
    const now = this.#clock.now();
    if (now - session.lastSeen > this.#idleMs) {
      this.#sessions.delete(id);
      return null;
    }
    session.lastSeen = now;
    // Re-inserted so the map stays ordered by last use (the eviction above takes the least recent).
    this.#sessions.delete(id);
    this.#sessions.set(id, session);
    return session;
  }

  end(id: string): void {
    this.#sessions.delete(id);
  }

  clear(): void {
    this.#sessions.clear();
  }

  get size(): number {
    return this.#sessions.size;
  }

  #sweep(): void {
    const now = this.#clock.now();
    for (const [id, s] of this.#sessions) if (now - s.lastSeen > this.#idleMs) this.#sessions.delete(id);
  }
}

export function csrfMatches(session: Session, candidate: unknown): boolean {
  if (typeof candidate !== 'string') return false;
  const a = Buffer.from(candidate);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}
