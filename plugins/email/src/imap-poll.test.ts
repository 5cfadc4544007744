// One IMAP cycle against a throwaway Dovecot: the order "kept in the inbox, then \Seen", and the
// connection closed after a cycle that failed half-way (the store refusing an item).
import type { InboxMessage, Logger } from '@kora/runtime';
import type { ImapFlow } from 'imapflow';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutDovecot, startDovecot, type Dovecot } from '../../../test/mail/dovecot.js';
import type { ImapSettings } from './config.js';
import { pollMailbox } from './imap-poll.js';

const log = pino({ level: 'silent' }) as unknown as Logger;

function raw(id: string, subject = 'Hello'): string {
  return `From: Alice <alice@example.com>\r\nTo: kora@kora.test\r\nSubject: ${subject}\r\nMessage-ID: ${id}\r\n\r\nbody of ${id}\r\n`;
}

describe.skipIf(skipWithoutDovecot)('an IMAP poll cycle', () => {
  let imap: Dovecot;
  let settings: ImapSettings;
  beforeAll(async () => {
    imap = await startDovecot();
    settings = { host: '127.0.0.1', port: imap.port, tls: false, username: imap.user, password: imap.password, mailbox: 'INBOX', maxPerPoll: 2 };
  });
  afterAll(async () => {
    await imap?.stop();
  });

  it('flags a message \\Seen only once the inbox has kept it, oldest first, at most maxPerPoll a cycle', async () => {
    for (const id of ['<o1@example.com>', '<o2@example.com>', '<o3@example.com>']) await imap.append(raw(id));
    const kept: { key: string; seenWhenKept: boolean }[] = [];
    const inbox = {
      async enqueue(message: InboxMessage) {
        // What the server says about the message at the moment it is handed to the inbox.
        const flags = (await imap.messages()).find((m) => m.messageId === message.key)?.flags ?? [];
        kept.push({ key: message.key, seenWhenKept: flags.includes('\\Seen') });
        return { id: kept.length, duplicate: false };
      },
    };
    const clients: ImapFlow[] = [];
    const first = await pollMailbox({ settings, timeoutMs: 5_000, inbox, log, signal: new AbortController().signal, onClient: (c) => clients.push(c) });
    expect(first).toEqual({ unseen: 3, kept: 2, duplicates: 0, deferred: 1 });
    const second = await pollMailbox({ settings, timeoutMs: 5_000, inbox, log, signal: new AbortController().signal, onClient: (c) => clients.push(c) });
    expect(second).toEqual({ unseen: 1, kept: 1, duplicates: 0, deferred: 0 });
    expect(kept).toEqual([
      { key: '<o1@example.com>', seenWhenKept: false },
      { key: '<o2@example.com>', seenWhenKept: false },
      { key: '<o3@example.com>', seenWhenKept: false },
    ]);
    expect((await imap.messages()).every((m) => m.flags.includes('\\Seen'))).toBe(true);
    expect(clients.map((c) => c.usable)).toEqual([false, false]);
  });

  it('leaves a message the inbox refused unseen, fails with the step, and closes the connection', async () => {
    await imap.append(raw('<refused@example.com>', 'Refused'));
    const inbox = {
      enqueue: () => Promise.reject(Object.assign(new Error('KORA_ERR_STORE_FULL: database or disk is full'), { code: 'KORA_ERR_STORE_FULL' })),
    };
    const clients: ImapFlow[] = [];
    await expect(pollMailbox({ settings, timeoutMs: 5_000, inbox, log, signal: new AbortController().signal, onClient: (c) => clients.push(c) })).rejects.toMatchObject({
      code: 'KORA_ERR_EMAIL_IMAP',
      message: expect.stringMatching(/failed to keep message <refused@example\.com> \(uid \d+\) in the inbox: KORA_ERR_STORE_FULL/),
    });
    expect(clients).toHaveLength(1);
    expect(clients[0]!.usable).toBe(false);
    await expect.poll(() => imap.sessions(), { timeout: 5_000 }).toEqual([]);
    const refused = (await imap.messages()).find((m) => m.messageId === '<refused@example.com>');
    expect(refused?.flags).not.toContain('\\Seen');

    // The next cycle, with the store back, keeps it.
    const keys: string[] = [];
    const ok = { enqueue: async (m: InboxMessage) => (keys.push(m.key), { id: 1, duplicate: false }) };
    await pollMailbox({ settings, timeoutMs: 5_000, inbox: ok, log, signal: new AbortController().signal });
    expect(keys).toEqual(['<refused@example.com>']);
  });

  it('keys a message without a Message-ID by the mailbox and its uid, the same on every cycle', async () => {
    await imap.append('From: bob@example.com\r\nTo: kora@kora.test\r\nSubject: No id\r\n\r\nno id here\r\n');
    const keys: string[] = [];
    const inbox = { enqueue: async (m: InboxMessage) => (keys.push(m.key), { id: keys.length, duplicate: false }) };
    await pollMailbox({ settings, timeoutMs: 5_000, inbox, log, signal: new AbortController().signal });
    await imap.markAllUnseen();
    await pollMailbox({ settings: { ...settings, maxPerPoll: 50 }, timeoutMs: 5_000, inbox, log, signal: new AbortController().signal });
    const synthetic = keys.filter((k) => k.startsWith('<imap.'));
    expect(synthetic).toHaveLength(2);
    expect(synthetic[0]).toMatch(/^<imap\.\d+\.\d+@127\.0\.0\.1>$/);
    expect(synthetic[1]).toBe(synthetic[0]);
  });
});
