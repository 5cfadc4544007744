// A local SMTP server for tests (the `smtp-server` package, the server side of nodemailer's own
// test suite): on 127.0.0.1 and a free port, plain connection (no STARTTLS), AUTH PLAIN/LOGIN
// against one user, keeping every message it accepts, raw and parsed (mailparser).
//
//   const smtp = await startSmtpSink();   // smtp.port, smtp.user, smtp.password
//   smtp.failNext(1, 451);               // the next message is refused with 451 (a temporary failure)
//   smtp.messages                        // [{ from, to, raw, parsed }]
//   smtp.beforeAnswer = async (m) => {…}  // runs once a message is kept, before the 250 is sent
//   await smtp.close();
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SunkMessage {
  /** The envelope's MAIL FROM and RCPT TO. */
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: string;
  readonly parsed: ParsedMail;
  /** The user who authenticated. */
  readonly user: string | null;
}

export interface SmtpSink {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly messages: readonly SunkMessage[];
  /** Logins refused (a wrong password). */
  readonly refusedLogins: number;
  /** Refuse the next `count` messages (after DATA) with `code`. */
  failNext(count: number, code?: number): void;
  /** Called once a message is kept, before the server answers 250 (e.g. to kill the sender first). */
  beforeAnswer: ((message: SunkMessage) => Promise<void>) | null;
  /** Resolves once `count` messages have been accepted. */
  waitForMessages(count: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpSink(options: { user?: string; password?: string } = {}): Promise<SmtpSink> {
  const user = options.user ?? 'kora@kora.test';
  const password = options.password ?? 'smtp-test-app-password';
  const messages: SunkMessage[] = [];
  const waiters: (() => void)[] = [];
  let failing = { count: 0, code: 451 };
  let refusedLogins = 0;
  const hooks: { beforeAnswer: ((message: SunkMessage) => Promise<void>) | null } = { beforeAnswer: null };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user: auth.username });
      refusedLogins++;
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failing.count > 0) {
          failing = { ...failing, count: failing.count - 1 };
          return callback(Object.assign(new Error('Try again later'), { responseCode: failing.code }));
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        void simpleParser(raw)
          .then(async (parsed) => {
            const message: SunkMessage = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              parsed,
              user: typeof session.user === 'string' ? session.user : null,
            };
            messages.push(message);
            for (const w of waiters) w();
            await hooks.beforeAnswer?.(message);
            callback(null, 'Ok: queued');
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    messages,
    get refusedLogins() {
      return refusedLogins;
    },
    get beforeAnswer() {
      return hooks.beforeAnswer;
    },
    set beforeAnswer(hook) {
      hooks.beforeAnswer = hook;
    },
    failNext(count, code = 451) {
      failing = { count, code };
    },
    waitForMessages(count, ms = 20_000) {
      return new Promise((resolve, reject) => {
        if (messages.length >= count) return resolve();
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${count} message(s); got ${messages.length}`)), ms);
        waiters.push(() => {
          if (messages.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
