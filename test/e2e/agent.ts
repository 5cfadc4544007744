// Scaffolding for the end-to-end tests of the agent's channels: a real gateway with the
// channel plugins and Marvin first (so its identity wins), the real reasoning plugin pointed at
// the fake Messages API (which echoes the system prompt's first line), and readers for the rows
// an exchange leaves in the store: the kora plugin's audit rows and the engine's usage rows.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FakeAnthropic } from '../fakes/anthropic.js';
import type { Dovecot } from '../mail/dovecot.js';
import type { SmtpSink } from '../mail/smtp-sink.js';
import { eventually, makeProject, REPO, startKora, type Project, type RunResult, type Running } from './helpers.js';

/** Marvin first: the first plugin that claims an identity wins. */
export const AGENT_PLUGINS = ['marvin', 'kora', 'reasoning', 'slack', 'email', 'web', 'webhooks'] as const;

/** What the fake answers in Marvin's voice: the first line of Marvin's system prompt. */
export const MARVIN_FIRST_LINE = readFileSync(join(REPO, 'plugins/marvin/data/system-prompt.md'), 'utf8').split('\n')[0]!;

export interface StatusFile {
  state: string;
  identity?: { agentName?: string } | null;
  daemons: { name: string; state: string; note?: string | null; endpoints?: { name: string; url: string }[] }[];
  inbox: { topic: string; pending: number; inFlight: number; dead: number }[];
}

export const statusOf = (p: Project) => JSON.parse(readFileSync(join(p.home, 'run', 'status.json'), 'utf8')) as StatusFile;

export interface AgentOptions {
  readonly api: FakeAnthropic;
  /** Channel variables (Slack token, SMTP and IMAP credentials…). */
  readonly env?: Record<string, string>;
  /** Further top-level YAML (e.g. a `daemons:` section), appended to kora.yaml. */
  readonly yaml?: string;
  /** Start on an existing project (a restart); default a new one. */
  readonly project?: Project;
}

export interface Agent {
  readonly project: Project;
  readonly gateway: Running;
  /** The webhook receiver's base URL (`…/api/webhooks/`). */
  readonly receiver: string;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

/** Start the gateway (dev mode: its admin token kept in the home for `kora ask`) and wait for every channel daemon to run. */
export async function startAgent(options: AgentOptions, running: Running[], projects: Project[]): Promise<Agent> {
  let project = options.project;
  if (!project) {
    project = makeProject();
    projects.push(project);
    project.writeConfig(
      [
        'plugins:',
        `  enabled: [${AGENT_PLUGINS.join(', ')}]`,
        '  config:',
        '    webhooks: { host: 127.0.0.1, port: 0 }',
        "    slack: { retries: 0, dm: { attempts: 3, backoff: '1s' } }",
        "    email: { timeoutMs: 5000, reply: { attempts: 3, backoff: '1s' } }",
        'gateway:',
        '  heartbeatEvery: 1s',
        options.yaml ?? '',
        '',
      ].join('\n'),
    );
  }
  const gateway = startKora(['daemon', '--dev'], project, {
    KORA_LOG_LEVEL: 'debug',
    KORA_WEB_PORT: '0',
    ANTHROPIC_BASE_URL: options.api.url,
    ANTHROPIC_API_KEY: 'sk-ant-e2e-agent-key',
    ...options.env,
  });
  running.push(gateway);
  await gateway.waitFor(/Kora gateway (running|DEGRADED)/, 30_000);
  const p = project;
  let receiver = '';
  await eventually(() => {
    const s = statusOf(p);
    receiver = s.daemons.find((d) => d.name === 'webhooks')?.endpoints?.[0]?.url ?? '';
    const up = ['reasoning_engine', 'slack_client', 'slack_dm', 'purelymail_client', 'email_inbound_imap', 'email_reply', 'web', 'webhooks'].every((n) => s.daemons.find((d) => d.name === n)?.state === 'running');
    return receiver !== '' && up && s.daemons.some((d) => d.name === 'web' && d.endpoints?.some((e) => e.name === 'admin UI'));
  }, 30_000);
  return {
    project: p,
    gateway,
    receiver,
    async stop() {
      gateway.child.kill('SIGTERM');
      return (await gateway.exited).code;
    },
  };
}

/** The email plugin's variables for a local SMTP server and Dovecot, no TLS. */
export function emailEnv(smtp: SmtpSink, imap: Dovecot): Record<string, string> {
  return {
    KORA_PUREMAIL_SMTP_USERNAME: smtp.user,
    KORA_PUREMAIL_SMTP_APP_PASSWORD: smtp.password,
    KORA_PUREMAIL_SMTP_HOST: '127.0.0.1',
    KORA_PUREMAIL_SMTP_PORT: String(smtp.port),
    KORA_PUREMAIL_SMTP_TLS: 'false',
    KORA_PUREMAIL_IMAP_HOST: '127.0.0.1',
    KORA_PUREMAIL_IMAP_PORT: String(imap.port),
    KORA_PUREMAIL_IMAP_USERNAME: imap.user,
    KORA_PUREMAIL_IMAP_PASSWORD: imap.password,
    KORA_PUREMAIL_IMAP_TLS: 'false',
  };
}

/** kora.yaml lines polling the mailbox every second instead of every five minutes. */
export const POLL_EVERY_SECOND = ['daemons:', '  email_inbound_imap:', '    tasks:', '      email.imap_poll: { every: 1s }'].join('\n');

/** A `kora` command, without blocking this process (the fakes answer from it). */
export async function kora(args: string[], project: Project, running: Running[], env: Record<string, string> = {}): Promise<RunResult> {
  const r = startKora(args, project, env);
  running.push(r);
  const [code] = (await once(r.child, 'close')) as [number | null];
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

export interface AuditRow {
  readonly plugin: string;
  readonly seam: string;
  readonly details: Record<string, unknown>;
}

export interface UsageRow {
  readonly route: string;
  readonly conversation: string | null;
  readonly model: string;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cost_usd: number;
  readonly outcome: string;
}

function query<T>(project: Project, sql: string): T[] {
  // Read-only, beside the running gateway (WAL lets a reader in while it writes).
  const db = new Database(join(project.home, 'kora.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** The audit rows of one seam, oldest first. */
export function auditRows(project: Project, seam: string): AuditRow[] {
  return query<{ plugin: string; seam: string; details: string }>(project, `SELECT plugin, seam, details FROM kora_audit WHERE seam = '${seam.replace(/'/g, "''")}' ORDER BY id`).map((r) => ({
    plugin: r.plugin,
    seam: r.seam,
    details: JSON.parse(r.details) as Record<string, unknown>,
  }));
}

/** The engine's usage rows (`reasoning_usage`), oldest first. */
export function usageRows(project: Project): UsageRow[] {
  return query<UsageRow>(project, 'SELECT route, conversation, model, input_tokens, output_tokens, cost_usd, outcome FROM reasoning_usage ORDER BY at, id');
}

/**
 * What one answered exchange on `route` leaves: one `llm.call` audit row from the kora plugin
 * and one usage row per model call, both naming the route and the conversation. Waits for the
 * audit row (the audit hook observes after the reply).
 */
export async function exchangeRows(project: Project, route: string): Promise<{ audit: AuditRow[]; usage: UsageRow[] }> {
  let audit: AuditRow[] = [];
  await eventually(() => {
    audit = auditRows(project, 'llm.call').filter((r) => r.details.route === route);
    return audit.length > 0;
  });
  return { audit, usage: usageRows(project).filter((r) => r.route === route) };
}
