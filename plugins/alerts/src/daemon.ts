// The `alert_notifier` daemon (DESIGN §8, non-fatal, leader-scoped): task `alerts.notify` (3m)
// reads every source, applies the dedup rule and enqueues what is to be said on `alerts.dispatch`;
// its consumer of that topic delivers each message to Slack (`kora__send_slack`) and/or email
// (the `email.sender` service), retried with backoff by the inbox and dead-lettered after its
// attempts, every failed delivery audited (`alerts.dispatch_failed`). Task `alerts.digest_flush`
// (daily, at midnight UTC) posts the day's alerts when `digest` is on. Provides `alerts`.
import { KoraError, type DaemonContext, type DaemonSpec, type EmailSender, type InboxItem, type PluginContext } from '@kora/runtime';
import type { AlertsSettings } from './config.js';
import { AlertBook, applyTransitions, DISPATCH_TOPIC, type AlertMessage, type DispatchPayload } from './notifier.js';
import { evaluate } from './sources.js';
import { readEvents } from './store.js';

export const NOTIFIER_DAEMON = 'alert_notifier';
export const NOTIFY_TASK = 'alerts.notify';
export const DIGEST_TASK = 'alerts.digest_flush';
export const SEND_SLACK_TOOL = 'kora__send_slack';
export const EMAIL_SERVICE = 'email.sender' as const;
/** The slack plugin's client service: absent while `slack_client` has no token. */
export const SLACK_CLIENT_SERVICE = 'slack.client';
const DIGEST_SINCE_KEY = 'digest.since';


/** The email plugin's sender (`email.sender`, declared by the runtime), when one runs. */
const emailSender = (ctx: PluginContext<unknown>): EmailSender | null => ctx.services.tryGet(EMAIL_SERVICE) ?? null;

const ICON: Record<string, string> = { critical: ':red_circle:', warning: ':warning:', info: ':white_check_mark:' };

export function formatAlert(message: DispatchPayload): { subject: string; text: string } {
  if (message.type === 'digest') return { subject: message.title, text: message.text };
  const lead = message.kind === 'reminder' ? 'Still open' : message.kind === 'changed' ? 'Changed' : message.kind === 'opened' ? 'Alert' : 'Resolved';
  const title = message.kind === 'resolved' ? message.title.replace(/^Resolved: /, '') : message.title;
  const subject = `[Kora ${message.severity}] ${lead}: ${title}`;
  const lines = [`${ICON[message.severity] ?? ''} *${lead}*: ${title}`.trim()];
  if (message.detail) lines.push(message.detail);
  lines.push(`key \`${message.key}\` · ${new Date(message.at).toISOString()}`);
  return { subject, text: lines.join('\n') };
}

export function alertNotifier(ctx: PluginContext<unknown>, settings: AlertsSettings, book: AlertBook): DaemonSpec {
  let daemon: DaemonContext | undefined;
  let note: string | null = null;
  const setNote = (text: string | null) => {
    if (text === note) return;
    note = text;
    daemon?.setNote(text);
  };
  const delivers = settings.slackChannel !== null || settings.emailTo.length > 0;
  const destinationNotes = (): string[] => {
    const notes: string[] = [];
    if (!delivers) notes.push('no slackChannel or emailTo in plugins.config.alerts: alerts are kept for the UI, CLI and MCP only');
    if (settings.slackChannel && !ctx.tools.list().some((t) => t.name === SEND_SLACK_TOOL)) notes.push(`no ${SEND_SLACK_TOOL} tool (enable the slack plugin): Slack deliveries fail and are retried`);
    else if (settings.slackChannel && !ctx.services.has(SLACK_CLIENT_SERVICE)) notes.push('no Slack client (slack_client has no KORA_SLACK_BOT_TOKEN): Slack deliveries fail and are retried');
    if (settings.emailTo.length > 0 && !emailSender(ctx)) notes.push(`no ${EMAIL_SERVICE} service (the email plugin is not enabled, or has no SMTP credentials): email deliveries fail and are retried`);
    return notes;
  };

  async function deliverTo(destination: 'slack' | 'email', message: DispatchPayload, signal: AbortSignal): Promise<void> {
    const { subject, text } = formatAlert(message);
    if (destination === 'slack') {
      const call = await ctx.tools.call(SEND_SLACK_TOOL, { channel: settings.slackChannel, text }, { route: 'alerts', signal });
      if (!call.ok) throw new Error(`${call.code}: ${call.error}`);
      const result = call.result as { ok?: boolean; error?: { code?: string; message?: string } } | null;
      if (!result || result.ok !== true) throw new Error(`${result?.error?.code ?? 'slack_failed'}: ${result?.error?.message ?? 'no answer'}`);
      return;
    }
    const sender = emailSender(ctx);
    if (!sender) {
      throw new KoraError('KORA_ERR_EMAIL_SENDER_UNAVAILABLE', `no ${EMAIL_SERVICE} service is running: enable the email plugin and set KORA_PUREMAIL_SMTP_USERNAME and KORA_PUREMAIL_SMTP_APP_PASSWORD`, { service: EMAIL_SERVICE });
    }
    await sender.send({ to: settings.emailTo, subject, text });
  }

  async function dispatch(item: InboxItem, signal: AbortSignal): Promise<void> {
    const message = item.payload as DispatchPayload;
    const destinations = [...(settings.slackChannel ? (['slack'] as const) : []), ...(settings.emailTo.length > 0 ? (['email'] as const) : [])];
    const errors: string[] = [];
    for (const destination of destinations) {
      // A destination already served by an earlier attempt of this item is not served twice.
      const marker = `sent:${item.key}:${destination}`;
      if (await ctx.store.get(marker)) continue;
      try {
        await deliverTo(destination, message, signal);
        await ctx.store.set(marker, ctx.clock.now());
      } catch (err) {
        errors.push(`${destination}: ${(err instanceof Error ? err.message : String(err)).slice(0, 300)}`);
      }
    }
    const key = message.type === 'alert' ? message.key : 'digest';
    const kind = message.type === 'alert' ? message.kind : 'digest';
    if (errors.length > 0) {
      const final = item.attempt >= settings.attempts;
      await ctx.audit('alerts.dispatch_failed', { key, kind, attempt: item.attempt, final, errors });
      throw new KoraError('KORA_ERR_ALERT_NOT_DELIVERED', `alert ${key} (${kind}) not delivered${final ? ', dead-lettered' : ', retried'}: ${errors.join('; ')}`, { key, kind, attempt: item.attempt });
    }
    for (const destination of destinations) await ctx.store.delete(`sent:${item.key}:${destination}`);
    await ctx.audit('alerts.dispatched', { key, kind, destinations });
  }

  return {
    name: NOTIFIER_DAEMON,
    fatalOnStartupFailure: false,
    scope: 'leader',
    async start(d) {
      daemon = d;
      note = null;
      await book.load(ctx.db);
      d.services.provide('alerts', book);
      setNote(destinationNotes().join('; ') || null);
    },
    stop() {
      daemon = undefined;
    },
    tasks: [
      {
        name: NOTIFY_TASK,
        every: '3m',
        async run({ log }) {
          const evaluation = await evaluate(ctx, { failedRuns: settings.failedRuns, ownDaemon: NOTIFIER_DAEMON, ownTopic: DISPATCH_TOPIC });
          const transitions = book.transitions(evaluation, ctx.clock.now(), settings.renotifyAfterMs);
          const { said, failed } = await applyTransitions(ctx, book, transitions, delivers);
          setNote([...destinationNotes(), ...evaluation.missing.map((m) => `${m}: not watched`)].join('; ') || null);
          if (said > 0) log.info({ said, open: book.open().length }, `${said} alert message(s) to dispatch`);
          if (failed) throw new KoraError('KORA_ERR_ALERT_NOT_DELIVERED', `could not enqueue an alert on ${DISPATCH_TOPIC} (tried again next tick): ${failed}`, { topic: DISPATCH_TOPIC });
        },
      },
      {
        name: DIGEST_TASK,
        every: '1d',
        async run() {
          if (!settings.digest) return;
          const now = ctx.clock.now();
          const since = (await ctx.store.get<number>(DIGEST_SINCE_KEY)) ?? now - 86_400_000;
          const events = (await readEvents(ctx.db, { since, limit: 500 })).filter((e) => e.at < now).reverse();
          const open = book.open();
          if (events.length > 0 || open.length > 0) {
            const count = (kind: string) => events.filter((e) => e.kind === kind).length;
            const lines = [
              `*Kora alert digest* ${new Date(since).toISOString()} – ${new Date(now).toISOString()}: ${count('opened')} opened, ${count('resolved')} resolved, ${open.length} open now.`,
              ...open.map((a) => `• open: ${a.title} (since ${new Date(a.since).toISOString()})`),
              ...events.map((e) => `• ${new Date(e.at).toISOString()} ${e.kind}: ${e.title}`),
            ];
            const message: DigestMessage = { type: 'digest', at: now, title: `[Kora] Alert digest: ${open.length} open`, text: lines.slice(0, 200).join('\n') };
            if (delivers) await ctx.inbox.enqueue({ topic: DISPATCH_TOPIC, key: `digest|${now}`, payload: message });
          }
          await ctx.store.set(DIGEST_SINCE_KEY, now);
        },
      },
    ],
    consumers: [
      {
        topic: DISPATCH_TOPIC,
        attempts: settings.attempts,
        backoff: settings.backoff,
        handle: (item, { signal }) => dispatch(item, signal),
      },
    ],
  };
}

type DigestMessage = Extract<DispatchPayload, { type: 'digest' }>;
export type { AlertMessage };
