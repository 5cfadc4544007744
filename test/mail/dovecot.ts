// A throwaway Dovecot IMAP server for tests (Debian's `dovecot-imapd`, installed by
// scripts/ensure-system-packages.sh): one instance per call, everything under a temp folder, on
// 127.0.0.1 and a free port, plaintext login, Maildir storage. See
// /work/shared/notes/dovecot-for-tests.md for why each setting is there.
//
//   const imap = await startDovecot();       // imap.port, imap.user, imap.password
//   await imap.append(rawMessage);          // APPEND to INBOX over IMAP (a real client: imapflow)
//   await imap.messages();                  // [{ uid, flags, messageId }]
//   imap.sessions();                        // logged-in IMAP sessions (doveadm who)
//   await imap.stop();
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';

export const DOVECOT_BIN = '/usr/sbin/dovecot';
export const DOVEADM_BIN = '/usr/bin/doveadm';

/** Whether Dovecot is installed. Under CI a missing Dovecot is a failure, not a skip (see `requireDovecot`). */
export function dovecotInstalled(): boolean {
  return existsSync(DOVECOT_BIN) && existsSync(DOVEADM_BIN);
}

/** For `describe.skipIf(...)`: skip locally without Dovecot, but never under CI=true (the test then fails on start). */
export const skipWithoutDovecot = !dovecotInstalled() && process.env.CI !== 'true';

export interface ImapMessage {
  readonly uid: number;
  readonly flags: readonly string[];
  readonly messageId: string | null;
  readonly subject: string | null;
}

export interface Dovecot {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly dir: string;
  /** APPEND one RFC 5322 message to INBOX (unseen unless `flags` say otherwise). */
  append(raw: string, flags?: string[]): Promise<void>;
  /** Every message of INBOX with its flags. */
  messages(): Promise<ImapMessage[]>;
  /** Clear `\Seen` on every message of INBOX. */
  markAllUnseen(): Promise<void>;
  /** Users with an IMAP session open right now (`doveadm who`), one line each. */
  sessions(): string[];
  /** The server's log so far. */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startDovecot(options: { user?: string; password?: string } = {}): Promise<Dovecot> {
  if (!dovecotInstalled()) {
    throw new Error(`Dovecot is not installed (${DOVECOT_BIN}): run scripts/ensure-system-packages.sh as root, or: sudo apt-get install -y --no-install-recommends dovecot-imapd`);
  }
  const user = options.user ?? 'kora@kora.test';
  const password = options.password ?? 'imap-test-password';
  const dir = mkdtempSync(join(tmpdir(), 'kora-dovecot-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'mail'), { recursive: true });
  chmodSync(join(dir, 'mail'), 0o777);
  const port = await freePort();
  writeFileSync(join(dir, 'passwd'), `${user}:{PLAIN}${password}\n`);
  const config = join(dir, 'dovecot.conf');
  writeFileSync(
    config,
    [
      'protocols = imap',
      'listen = 127.0.0.1',
      `base_dir = ${join(dir, 'run')}`,
      `instance_name = kora-test-${port}`,
      `log_path = ${join(dir, 'dovecot.log')}`,
      'ssl = no',
      'disable_plaintext_auth = no',
      'auth_mechanisms = plain login',
      `mail_location = maildir:${join(dir, 'mail')}/%n`,
      'first_valid_uid = 1',
      'passdb {',
      '  driver = passwd-file',
      `  args = scheme=PLAIN username_format=%u ${join(dir, 'passwd')}`,
      '}',
      'userdb {',
      '  driver = static',
      `  args = uid=dovecot gid=dovecot home=${join(dir, 'mail')}/%n`,
      '}',
      'service imap-login {',
      '  inet_listener imap {',
      '    address = 127.0.0.1',
      `    port = ${port}`,
      '  }',
      '  inet_listener imaps {',
      '    port = 0',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  // Dovecot forks into the background; with inherited pipes the call would wait for the daemon.
  const started = spawnSync(DOVECOT_BIN, ['-c', config], { stdio: 'ignore' });
  if (started.status !== 0) throw new Error(`dovecot -c ${config} exited ${started.status}: ${readLog(dir)}`);
  const dovecot: Dovecot = {
    host: '127.0.0.1',
    port,
    user,
    password,
    dir,
    async append(raw, flags = []) {
      await withClient(dovecot, (c) => c.append('INBOX', raw, flags).then(() => undefined));
    },
    async messages() {
      return withClient(dovecot, async (c) => {
        const lock = await c.getMailboxLock('INBOX');
        try {
          const out: ImapMessage[] = [];
          const box = c.mailbox;
          if (!box || box.exists === 0) return out;
          for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true })) {
            out.push({ uid: m.uid, flags: [...(m.flags ?? [])], messageId: m.envelope?.messageId ?? null, subject: m.envelope?.subject ?? null });
          }
          return out;
        } finally {
          lock.release();
        }
      });
    },
    async markAllUnseen() {
      await withClient(dovecot, async (c) => {
        const lock = await c.getMailboxLock('INBOX');
        try {
          await c.messageFlagsRemove('1:*', ['\\Seen']);
        } finally {
          lock.release();
        }
      });
    },
    sessions() {
      const out = execFileSync(DOVEADM_BIN, ['-c', config, 'who', '-1'], { encoding: 'utf8' });
      return out.split('\n').filter((l) => l.trim() !== '' && !/^username\s/.test(l));
    },
    log: () => readLog(dir),
    async stop() {
      spawnSync(DOVEADM_BIN, ['-c', config, 'stop'], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitForLogin(dovecot);
  return dovecot;
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'dovecot.log'), 'utf8');
  } catch {
    return '';
  }
}

async function withClient<T>(d: Dovecot, use: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({ host: d.host, port: d.port, secure: false, auth: { user: d.user, pass: d.password }, logger: false, disableAutoIdle: true });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function waitForLogin(d: Dovecot): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 100; i++) {
    try {
      await withClient(d, async () => undefined);
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`Dovecot on 127.0.0.1:${d.port} did not accept a login: ${String(last)}\n${d.log()}`);
}
