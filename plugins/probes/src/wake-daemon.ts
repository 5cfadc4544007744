// The `probe_wake` daemon (DESIGN §8, non-fatal): task `probe_wake.tail` (30s) follows the audit
// log's `probe.wake_requested` events. The first tick after start only takes the position, so
// old events are never replayed after a restart; later ticks handle the new ones oldest first:
// ask the `engine` to investigate (route `probe_investigation`) and post its answer to Slack
// through the `kora__send_slack` tool, at most once per probe per debounce period. The position
// advances past an event whatever happens to it; a failure is audited (`probe_wake.failed`).
import { KoraError, type AuditCursor, type AuditEntry, type DaemonContext, type DaemonSpec, type PluginContext } from '@kora/runtime';
import type { ProbesSettings } from './config.js';
import { WAKE_SEAM } from './heartbeat-daemon.js';

export const WAKE_DAEMON = 'probe_wake';
export const WAKE_TASK = 'probe_wake.tail';
export const INVESTIGATION_ROUTE = 'probe_investigation';
export const SEND_SLACK_TOOL = 'kora__send_slack';
/** The slack plugin's client service: absent while `slack_client` has no token. */
export const SLACK_CLIENT_SERVICE = 'slack.client';

interface WakeEvent {
  readonly probe: string;
  readonly state: string;
  readonly previous: string | null;
  readonly detail: string | null;
  readonly at: number;
}

function wakeEvent(entry: AuditEntry): WakeEvent | null {
  const d = entry.details;
  if (typeof d.probe !== 'string') return null;
  return {
    probe: d.probe,
    state: typeof d.state === 'string' ? d.state : 'unknown',
    previous: typeof d.previous === 'string' ? d.previous : null,
    detail: typeof d.detail === 'string' ? d.detail : null,
    at: typeof d.at === 'number' ? d.at : entry.at,
  };
}

/** Posting an investigation failed after the engine answered: the answer travels with the error. */
class PostFailed extends Error {
  readonly reply: string;
  constructor(message: string, reply: string) {
    super(message);
    this.reply = reply;
  }
}

export function investigationPrompt(event: WakeEvent): string {
  return [
    `The service probe "${event.probe}" turned ${event.state} at ${new Date(event.at).toISOString()}${event.previous ? ` (it was ${event.previous})` : ''}.`,
    `Probe detail: ${event.detail ?? 'none'}.`,
    'Investigate with the tools you have: what is most likely wrong, how bad it is, and what the operator should check first. Answer in a few lines for a Slack channel.',
  ].join('\n');
}

export function wakeDaemon(ctx: PluginContext<unknown>, settings: ProbesSettings): DaemonSpec {
  let cursor: AuditCursor | undefined;
  let positioned = false;
  const lastHandled = new Map<string, number>();
  let daemon: DaemonContext | undefined;
  let note: string | null = null;
  const setNote = (text: string | null) => {
    if (text === note) return;
    note = text;
    daemon?.setNote(text);
  };

  // Not in the runtime's ServiceMap (the slack plugin declares it): read by name.
  const hasSlackClient = (): boolean => (ctx.services as unknown as { tryGet(name: string): unknown }).tryGet(SLACK_CLIENT_SERVICE) !== undefined;

  const missing = (): string | null => {
    const gaps: string[] = [];
    if (!ctx.services.tryGet('engine')) gaps.push('no engine service (the reasoning plugin is not running): investigations fail and are audited');
    if (!settings.wakeChannel) gaps.push('no plugins.config.probes.wake.slackChannel: investigations are audited, not posted');
    else if (!ctx.tools.list().some((t) => t.name === SEND_SLACK_TOOL)) gaps.push(`no ${SEND_SLACK_TOOL} tool (the slack plugin is not enabled): investigations are audited, not posted`);
    else if (!hasSlackClient()) gaps.push('no Slack client (slack_client has no KORA_SLACK_BOT_TOKEN): investigations are audited, not posted');
    return gaps.length ? gaps.join('; ') : null;
  };

  async function handle(event: WakeEvent, entryId: number | undefined, signal: AbortSignal): Promise<void> {
    const now = ctx.clock.now();
    const last = lastHandled.get(event.probe);
    if (last !== undefined && now - last < settings.wakeDebounceMs) {
      await ctx.audit('probe_wake.debounced', { probe: event.probe, state: event.state, eventId: entryId ?? null, lastAt: last });
      return;
    }
    lastHandled.set(event.probe, now);
    const engine = ctx.services.tryGet('engine');
    if (!engine) {
      throw new KoraError('KORA_ERR_ENGINE_UNAVAILABLE', 'no engine service is running: enable the reasoning plugin and set CLAUDE_CODE_OAUTH_TOKEN, KORA_ANTHROPIC_API_KEY or ANTHROPIC_API_KEY', { service: 'engine' });
    }
    const reply = await engine.respond({
      route: INVESTIGATION_ROUTE,
      messages: [{ role: 'user', content: investigationPrompt(event) }],
      signal,
      metadata: { probe: event.probe, state: event.state, eventId: entryId ?? null },
    });
    const text = `Probe *${event.probe}* is ${event.state}${event.detail ? ` (${event.detail})` : ''}.\n${reply.text}`;
    let posted: { channel: string; ts: string } | null = null;
    let notPosted: string | null = null;
    if (!settings.wakeChannel) notPosted = 'no slack channel configured';
    else if (ctx.tools.list().some((t) => t.name === SEND_SLACK_TOOL) && !hasSlackClient()) notPosted = 'no Slack client';
    else {
      const call = await ctx.tools.call(SEND_SLACK_TOOL, { channel: settings.wakeChannel, text }, { route: INVESTIGATION_ROUTE, signal });
      if (!call.ok) {
        if (call.code !== 'KORA_ERR_TOOL_UNKNOWN') throw new PostFailed(`posting to Slack failed: ${call.code}: ${call.error}`, reply.text);
        notPosted = `no ${SEND_SLACK_TOOL} tool`;
      } else {
        const result = call.result as { ok?: boolean; channel?: string; ts?: string; error?: { code?: string; message?: string } } | null;
        if (!result || result.ok !== true) throw new PostFailed(`posting to Slack failed: ${result?.error?.code ?? 'unknown'}: ${result?.error?.message ?? 'no answer'}`, reply.text);
        posted = { channel: String(result.channel), ts: String(result.ts) };
      }
    }
    await ctx.audit('probe_wake.investigated', {
      probe: event.probe,
      state: event.state,
      eventId: entryId ?? null,
      model: reply.model,
      posted: posted !== null,
      ...(posted ? { channel: posted.channel, ts: posted.ts } : { reason: notPosted }),
      reply: reply.text.slice(0, 2000),
    });
  }

  return {
    name: WAKE_DAEMON,
    scope: 'leader',
    fatalOnStartupFailure: false,
    start(d) {
      daemon = d;
      cursor = undefined;
      positioned = false;
      note = null;
      setNote(missing());
    },
    stop() {
      daemon = undefined;
    },
    tasks: [
      {
        name: WAKE_TASK,
        every: '30s',
        async run({ signal, log }) {
          setNote(missing());
          if (!positioned) {
            // Take the position: skip everything written before this start.
            for (;;) {
              const page = await ctx.gateway.tailAudit(cursor, { seam: WAKE_SEAM, limit: 1000 });
              cursor = page.cursor;
              if (page.entries.length < 1000) break;
            }
            positioned = true;
            return;
          }
          const page = await ctx.gateway.tailAudit(cursor, { seam: WAKE_SEAM, limit: 100 });
          const events = [...page.entries].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
          // The position moves past this page before any handling: a failing event is never retried forever.
          cursor = page.cursor;
          for (const entry of events) {
            if (signal.aborted) break;
            const event = wakeEvent(entry);
            if (!event) continue;
            try {
              await handle(event, entry.id, signal);
            } catch (err) {
              const error = err instanceof Error ? err.message : String(err);
              log.warn({ probe: event.probe, eventId: entry.id, error }, `probe_wake could not handle ${event.probe} turning ${event.state}: ${error}`);
              // A post that failed keeps the investigation it could not post: the engine's work is not lost.
              const reply = err instanceof PostFailed ? { reply: err.reply.slice(0, 2000) } : {};
              await ctx.audit('probe_wake.failed', { probe: event.probe, state: event.state, eventId: entry.id ?? null, error: error.slice(0, 500), ...reply });
            }
          }
        },
      },
    ],
  };
}
