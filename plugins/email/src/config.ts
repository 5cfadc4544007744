// The email plugin's config (`plugins.config.email`) and the settings it runs with. Credentials
// come from the environment only (a secret never sits in kora.yaml): KORA_PUREMAIL_SMTP_* for
// the sender, KORA_PUREMAIL_IMAP_* for the poller, each with Purelymail's own server as the
// default. A port or a TLS flag that cannot be read fails the plugin at register, by name.
import { consumerRetry, EnvError, parseEnvFlag, z, type Duration } from '@kora/runtime';

export const SMTP_ENV = {
  username: 'KORA_PUREMAIL_SMTP_USERNAME',
  password: 'KORA_PUREMAIL_SMTP_APP_PASSWORD',
  host: 'KORA_PUREMAIL_SMTP_HOST',
  port: 'KORA_PUREMAIL_SMTP_PORT',
  tls: 'KORA_PUREMAIL_SMTP_TLS',
} as const;

export const IMAP_ENV = {
  host: 'KORA_PUREMAIL_IMAP_HOST',
  port: 'KORA_PUREMAIL_IMAP_PORT',
  username: 'KORA_PUREMAIL_IMAP_USERNAME',
  password: 'KORA_PUREMAIL_IMAP_PASSWORD',
  tls: 'KORA_PUREMAIL_IMAP_TLS',
} as const;

export const ALLOWED_FROM_ENV = 'KORA_EMAIL_KORA_ALLOWED_FROM_DOMAINS';

export const PURELYMAIL_SMTP_HOST = 'smtp.purelymail.com';
export const PURELYMAIL_IMAP_HOST = 'imap.purelymail.com';

export const emailConfigSchema = z
  .object({
    /** The From address of what the agent sends (default: KORA_PUREMAIL_SMTP_USERNAME, Purelymail's login being the address). */
    from: z.email().optional(),
    /** The From display name (default: none). */
    fromName: z.string().min(1).max(200).optional(),
    /** The mailbox the poller reads (default INBOX). */
    mailbox: z.string().min(1).optional(),
    /** At most this many unseen messages kept per poll cycle; the rest wait for the next (default 50). */
    maxPerPoll: z.number().int().min(1).max(1000).optional(),
    /** Connection, greeting and socket timeout of the SMTP and IMAP clients, in ms (default 30 s). */
    timeoutMs: z.number().int().positive().optional(),
    /** The reply consumer: deliveries of one email before it is dead-lettered (default 5), and the first retry's delay, doubled after each (default 30s). */
    reply: consumerRetry.optional(),
  })
  .strict();

export type EmailConfig = z.infer<typeof emailConfigSchema>;

export interface ServerSettings {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (465, 993); false: plain, upgraded with STARTTLS when the server offers it. */
  readonly tls: boolean;
}

export interface SmtpSettings extends ServerSettings {
  readonly username: string;
  readonly password: string;
}

export interface ImapSettings extends ServerSettings {
  readonly username: string;
  readonly password: string;
  readonly mailbox: string;
  readonly maxPerPoll: number;
}

export interface EmailSettings {
  /** Null: no sender, and `missing` says which variables to set. */
  readonly smtp: SmtpSettings | null;
  readonly smtpMissing: readonly string[];
  readonly imap: ImapSettings | null;
  readonly imapMissing: readonly string[];
  readonly from: string | null;
  readonly fromName: string | null;
  /** Lower-case domains a From may be in; from KORA_EMAIL_KORA_ALLOWED_FROM_DOMAINS, else the From's own domain. */
  readonly allowedFromDomains: readonly string[];
  readonly timeoutMs: number;
  readonly replyAttempts: number;
  readonly replyBackoff: Duration | number;
}

type Env = Readonly<Record<string, string | undefined>>;

const value = (env: Env, name: string): string | null => {
  const v = env[name]?.trim();
  return v ? v : null;
};

/** Env over config over defaults; throws EnvError (KORA_ERR_ENV_INVALID) for a port or flag it cannot read, listing each. */
export function emailSettings(config: EmailConfig | undefined, env: Env): EmailSettings {
  const bad: { variable: string; shown: string; expected: string }[] = [];
  const port = (name: string, fallback: number): number => {
    const raw = value(env, name);
    if (raw === null) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (Number.isInteger(n) && n >= 1 && n <= 65535) return n;
    bad.push({ variable: name, shown: raw, expected: 'a TCP port, 1 to 65535' });
    return fallback;
  };
  const tls = (name: string): boolean => {
    const raw = value(env, name);
    if (raw === null) return true;
    try {
      return parseEnvFlag(name, raw);
    } catch {
      bad.push({ variable: name, shown: raw, expected: 'true or false (also 1/0, yes/no, on/off)' });
      return true;
    }
  };
  const smtpServer: ServerSettings = { host: value(env, SMTP_ENV.host) ?? PURELYMAIL_SMTP_HOST, port: port(SMTP_ENV.port, 465), tls: tls(SMTP_ENV.tls) };
  const imapServer: ServerSettings = { host: value(env, IMAP_ENV.host) ?? PURELYMAIL_IMAP_HOST, port: port(IMAP_ENV.port, 993), tls: tls(IMAP_ENV.tls) };
  if (bad.length > 0) throw new EnvError(bad);

  const smtpUser = value(env, SMTP_ENV.username);
  const smtpPassword = value(env, SMTP_ENV.password);
  const smtpMissing: string[] = [smtpUser ? null : SMTP_ENV.username, smtpPassword ? null : SMTP_ENV.password].filter((v): v is NonNullable<typeof v> => v !== null);
  const imapUser = value(env, IMAP_ENV.username);
  const imapPassword = value(env, IMAP_ENV.password);
  const imapMissing: string[] = [imapUser ? null : IMAP_ENV.username, imapPassword ? null : IMAP_ENV.password].filter((v): v is NonNullable<typeof v> => v !== null);

  const from = config?.from?.toLowerCase() ?? (smtpUser && smtpUser.includes('@') ? smtpUser.toLowerCase() : null);
  const listed = (value(env, ALLOWED_FROM_ENV) ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase().replace(/^@/, ''))
    .filter((d) => d !== '');
  const ownDomain = from ? domainOf(from) : null;
  return {
    smtp: smtpUser && smtpPassword ? { ...smtpServer, username: smtpUser, password: smtpPassword } : null,
    smtpMissing,
    imap: imapUser && imapPassword ? { ...imapServer, username: imapUser, password: imapPassword, mailbox: config?.mailbox ?? 'INBOX', maxPerPoll: config?.maxPerPoll ?? 50 } : null,
    imapMissing,
    from,
    fromName: config?.fromName ?? null,
    allowedFromDomains: listed.length > 0 ? listed : ownDomain ? [ownDomain] : [],
    timeoutMs: config?.timeoutMs ?? 30_000,
    replyAttempts: config?.reply?.attempts ?? 5,
    replyBackoff: config?.reply?.backoff ?? '30s',
  };
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
