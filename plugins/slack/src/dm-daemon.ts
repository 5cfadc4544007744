// The `slack_dm` daemon: the consumer of the inbox topic `slack.events`. A DM from a person is
// answered through the `engine` service (route `slack_dm`, one conversation per thread) and the
// reply posted in the DM's thread. Whatever stands in the way (no client, no engine, an engine
// or Slack error) throws, so the inbox retries the event and finally dead-letters it: nothing is
// dropped. Events that are not for it are completed without a reply.
//
// A reply is kept (plugin key-value store, under the event id) from the moment the engine gave
// it, `pending`, and marked `sent` once Slack took it (decisions 0068, 0150): a retry after a
// failed post sends the same text instead of asking the engine again, which would add the
// question to the conversation twice; a redelivery after the post (the gateway died before the
// inbox completed the item) posts nothing. Sent marks are pruned after 30 days by a daily task.
//
// A DM that matches an approved phrasebook entry (the optional `proposals` service of the
// promote plugin) is answered with its canned reply and no model call, audited as
// `slack.dm_short_circuit`; without the service, or when it fails, the engine answers.
import type { Clock, ConsumerContext, DaemonSpec, Duration, InboxItem, KeyValueStore, Services } from '@kora/runtime';
import { CLIENT_SERVICE } from './client-daemon.js';
import type { SlackClient } from './client.js';
import { classifyEvent, conversationOf, type DirectMessage } from './dm-event.js';
import { SlackPluginError, unavailableClient } from './errors.js';

export const DM_DAEMON = 'slack_dm';
export const DM_TOPIC = 'slack.events';
export const DM_ROUTE = 'slack_dm';

export const SHORT_CIRCUIT_SEAM = 'slack.dm_short_circuit';
export const PRUNE_TASK = 'slack.replies_prune';
/** A sent mark outlives any redelivery of its event (the inbox's retries, a restart) by far. */
export const KEEP_SENT_MS = 30 * 24 * 3_600_000;
const KEPT_PREFIX = 'reply:';

export interface DmDaemonDeps {
  readonly store: KeyValueStore;
  readonly clock: Clock;
  audit(seam: string, details: Record<string, unknown>): Promise<void>;
  readonly attempts: number;
  readonly backoff: Duration | number;
}

interface KeptReply {
  readonly text: string;
  readonly conversation: string;
  /** Absent in a reply kept before sent marks existed: pending. */
  readonly state?: 'pending' | 'sent';
  readonly sentAt?: number;
  /** The posted message's ts. */
  readonly ts?: string;
}

export function slackDmDaemon(deps: DmDaemonDeps): DaemonSpec {
  let services: Services | undefined;

  async function handle(item: InboxItem, { signal, log }: ConsumerContext): Promise<void> {
    if (!services) throw new Error(`daemon "${DM_DAEMON}" handled an item before it started`);
    const client = services.tryGet(CLIENT_SERVICE);
    const decision = classifyEvent(item.payload, client?.bot.userId ?? null);
    if ('ignore' in decision) {
      log.debug({ key: item.key, reason: decision.ignore }, `slack: event ${item.key} is not a DM to answer (${decision.ignore}): done without a reply`);
      return;
    }
    const dm = decision.answer;
    if (!client) throw unavailableClient(`DM ${item.key} from ${dm.user} cannot be answered: no Slack client is running`);
    const conversation = conversationOf(dm);
    const threadTs = dm.threadTs ?? dm.ts;
    const keptKey = `${KEPT_PREFIX}${item.key}`;
    let kept = await deps.store.get<KeptReply>(keptKey);
    if (kept?.state === 'sent') {
      log.info({ key: item.key, conversation, ts: kept.ts }, `slack: DM ${item.key} was answered already (ts ${kept.ts ?? '?'}): not posted again`);
      return;
    }
    if (kept) {
      // Posted by an attempt that died before its `sent` mark? Then the thread has it already.
      const found = await alreadyPosted(client, dm, threadTs, kept.text, log);
      if (found !== null) {
        await deps.store.set(keptKey, { text: kept.text, conversation: kept.conversation, state: 'sent', sentAt: deps.clock.now(), ts: found } satisfies KeptReply);
        log.info({ key: item.key, conversation, ts: found }, `slack: the reply to DM ${item.key} is in its thread already (ts ${found}): not posted again`);
        return;
      }
      log.info({ key: item.key, conversation, attempt: item.attempt }, `slack: posting the reply the engine already gave for ${item.key}`);
    } else if ((kept = (await shortCircuit(services, dm.text, conversation, item.key, log)) ?? undefined)) {
      await deps.store.set(keptKey, kept);
    } else {
      const engine = services.tryGet('engine');
      if (!engine) {
        throw new SlackPluginError('engine_unavailable', `DM ${item.key} from ${dm.user} cannot be answered: no engine service is running; enable the reasoning plugin (plugins.enabled) and check its daemon in kora status`);
      }
      let text: string;
      try {
        const reply = await engine.respond({
          route: DM_ROUTE,
          conversation,
          messages: [{ role: 'user', content: dm.text }],
          signal,
          metadata: { user: dm.user, channel: dm.channel, ts: dm.ts, ...(dm.team ? { team: dm.team } : {}) },
        });
        text = reply.text;
      } catch (err) {
        const refusal = refusalOf(err);
        if (refusal === null) throw new SlackPluginError('engine_failed', `the engine did not answer DM ${item.key}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        // A refused call (the budget's hard stop) is answered with its short message, not retried into a dead letter.
        log.warn({ key: item.key, conversation }, `slack: the model call for DM ${item.key} was refused; answering with the refusal`);
        text = refusal;
      }
      if (text.trim() === '') throw new SlackPluginError('engine_failed', `the engine answered DM ${item.key} with no text`);
      kept = { text, conversation, state: 'pending' };
      await deps.store.set(keptKey, kept);
    }
    const posted = await client.postMessage({ channel: dm.channel, text: kept.text, thread_ts: threadTs });
    // Marked, not deleted: a redelivery after this point finds it and posts nothing.
    await deps.store.set(keptKey, { text: kept.text, conversation: kept.conversation, state: 'sent', sentAt: deps.clock.now(), ts: posted.ts } satisfies KeptReply);
    log.info({ key: item.key, conversation, channel: posted.channel, ts: posted.ts }, `slack: answered DM ${item.key} in thread ${threadTs}`);
  }

  /** The phrasebook's canned reply for this DM, audited, or null (no service, no match, or the service failed). */
  async function shortCircuit(from: Services, text: string, conversation: string, key: string, log: ConsumerContext['log']): Promise<KeptReply | null> {
    const proposals = from.tryGet('proposals');
    if (!proposals) return null;
    let hit: { readonly answer: string; readonly proposalId: string } | null;
    try {
      hit = proposals.phrasebook(text);
    } catch (err) {
      log.warn({ err, key }, 'slack: the proposals service failed; the engine answers this DM');
      return null;
    }
    if (!hit || hit.answer.trim() === '') return null;
    await deps.audit(SHORT_CIRCUIT_SEAM, { route: DM_ROUTE, conversationId: conversation, event: key, proposalId: hit.proposalId, llmCall: false });
    log.info({ key, proposalId: hit.proposalId }, `slack: DM ${key} answered from the phrasebook (proposal ${hit.proposalId}), without a model call`);
    return { text: hit.answer, conversation, state: 'pending' };
  }

  /** Sent marks older than KEEP_SENT_MS; pending replies are owed and stay. */
  async function prune(): Promise<number> {
    const before = deps.clock.now() - KEEP_SENT_MS;
    let pruned = 0;
    for (const key of await deps.store.keys(KEPT_PREFIX)) {
      const kept = await deps.store.get<KeptReply>(key);
      if (kept?.state === 'sent' && typeof kept.sentAt === 'number' && kept.sentAt < before && (await deps.store.delete(key))) pruned++;
    }
    return pruned;
  }

  return {
    name: DM_DAEMON,
    fatalOnStartupFailure: false,
    // A conversation consumer (DESIGN §6a): on one gateway of a fleet at a time, so a DM's turns
    // are answered in order by one engine, not raced by several.
    scope: 'leader',
    start(context) {
      services = context.services;
      if (!context.services.has(CLIENT_SERVICE)) context.log.warn(`no Slack client: DMs in ${DM_TOPIC} are retried, then dead-lettered, until one runs (see slack_client)`);
    },
    stop() {
      services = undefined;
    },
    consumers: [{ topic: DM_TOPIC, handle, attempts: deps.attempts, backoff: deps.backoff }],
    tasks: [
      {
        name: PRUNE_TASK,
        every: '1d',
        offset: '4h',
        async run({ log }) {
          const pruned = await prune();
          if (pruned > 0) log.info({ pruned }, `slack: pruned ${pruned} sent repl${pruned === 1 ? 'y' : 'ies'} older than 30 days`);
        },
      },
    ],
  };
}

/**
 * The ts of the agent's own message with exactly `text` in the DM's thread, newer than the DM, or
 * null: none, or the thread could not be read (then the reply is posted: at least once wins).
 */
async function alreadyPosted(client: SlackClient, dm: DirectMessage, threadTs: string, text: string, log: ConsumerContext['log']): Promise<string | null> {
  try {
    const messages = await client.threadReplies({ channel: dm.channel, ts: threadTs, oldest: dm.ts });
    const own = messages.find((m) => (m.user === client.bot.userId || (client.bot.botId !== null && m.botId === client.bot.botId)) && (m.text === text || unescapeSlack(m.text) === text) && Number(m.ts) > Number(dm.ts));
    return own ? own.ts : null;
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err), channel: dm.channel }, 'slack: could not read the DM thread to check for an earlier post; posting the kept reply');
    return null;
  }
}

/** Slack escapes these three in a message's text (https://api.slack.com/reference/surfaces/formatting#escaping). */
function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The message of an engine refusal (`KORA_ERR_REASONING_REFUSED`, e.g. the cost rung's hard stop), or null for any other failure. */
export function refusalOf(err: unknown): string | null {
  if (typeof err !== 'object' || err === null || (err as { code?: unknown }).code !== 'KORA_ERR_REASONING_REFUSED') return null;
  const reason = (err as { details?: { reason?: unknown } }).details?.reason;
  if (typeof reason === 'string' && reason.trim() !== '') return reason;
  return 'The model call was refused, so there is no answer to this message for now.';
}
