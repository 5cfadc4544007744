// Conversations (a Slack thread, an email thread, a CLI session): each reply's turn is kept as
// one row of `reasoning_turns`, its messages as JSON, from the user's message to the assistant's
// text with every tool_use/tool_result pair in between. Trimming drops whole turns, oldest first,
// so a pair is never split and the history always starts with a user message.
import { createHash } from 'node:crypto';
import type { ContentBlock, LlmMessage, PluginContext } from '@kora/runtime';
import { CONVERSATION_CHARS, TURNS_TABLE } from './migrations.js';

type PluginDb = PluginContext['db'];

const PRUNE_EVERY = 8;

export interface HistoryBounds {
  /** Turns a reply sees (and a conversation keeps). */
  readonly turns: number;
  /** About this many tokens of history a reply sees (4 characters a token). */
  readonly tokens: number;
}

/** A rough token count: about 4 characters a token, over the JSON the API would get. */
export function approxTokens(messages: readonly LlmMessage[]): number {
  let chars = 0;
  for (const m of messages) chars += typeof m.content === 'string' ? m.content.length : JSON.stringify(m.content).length;
  return Math.ceil(chars / 4);
}

/**
 * How a conversation is keyed in the tables: itself when it fits their varchar(512) column, else
 * its start, `#` and the SHA-256 of the whole (512 characters). PostgreSQL refuses a longer value
 * where SQLite would keep it, and an email thread (`email:<Message-ID>`) may run to ~1000.
 */
export function conversationKey(conversation: string): string {
  if (conversation.length <= CONVERSATION_CHARS) return conversation;
  const digest = createHash('sha256').update(conversation).digest('hex');
  let cut = CONVERSATION_CHARS - digest.length - 1;
  // Never half a surrogate pair: the key must be valid UTF-16, so the same on every database.
  const last = conversation.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${conversation.slice(0, cut)}#${digest}`;
}

export class ConversationStore {
  readonly #db: PluginDb;
  readonly #bounds: HistoryBounds;
  /** One reply at a time per conversation in this gateway, so a reply sees the turn before it. */
  readonly #tails = new Map<string, Promise<unknown>>();

  constructor(db: PluginDb, bounds: HistoryBounds) {
    this.#db = db;
    this.#bounds = bounds;
  }

  /** Run `fn` after every earlier reply of `conversation` in this process has settled. */
  async serialize<T>(conversation: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(conversation) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#tails.set(conversation, tail);
    try {
      return await run;
    } finally {
      if (this.#tails.get(conversation) === tail) this.#tails.delete(conversation);
    }
  }

  /**
   * The newest whole turns within both bounds, oldest first, flattened into messages, and the
   * conversation's last sequence number (0: none yet), which `append` continues from.
   */
  async load(conversation: string): Promise<{ messages: LlmMessage[]; lastSeq: number }> {
    if (this.#bounds.turns === 0) return { messages: [], lastSeq: 0 };
    const rows = await this.#db
      .selectFrom(TURNS_TABLE)
      .select(['seq', 'messages', 'tokens'])
      .where('conversation', '=', conversationKey(conversation))
      .orderBy('seq', 'desc')
      .limit(this.#bounds.turns)
      .execute();
    const kept: LlmMessage[][] = [];
    let tokens = 0;
    for (const row of rows) {
      tokens += Number(row.tokens);
      if (tokens > this.#bounds.tokens) break;
      kept.push(JSON.parse(String(row.messages)) as LlmMessage[]);
    }
    return { messages: kept.reverse().flat(), lastSeq: rows[0] ? Number(rows[0].seq) : 0 };
  }

  /**
   * Keep a finished turn after `lastSeq` (from `load`, under `serialize`), and drop the
   * conversation's turns beyond the turn bound. Another writer of the same conversation would
   * hit the primary key: conversation consumers run on one gateway of a fleet (scope leader).
   */
  async append(conversation: string, lastSeq: number, turn: { at: number; route: string; messages: readonly LlmMessage[] }): Promise<void> {
    if (this.#bounds.turns === 0) return;
    const seq = lastSeq + 1;
    const key = conversationKey(conversation);
    await this.#db
      .insertInto(TURNS_TABLE)
      .values({ conversation: key, seq, at: turn.at, route: turn.route, messages: JSON.stringify(turn.messages), tokens: approxTokens(turn.messages) })
      .execute();
    // Pruned every PRUNE_EVERY turns, not every turn: a reply reads at most `turns` of them anyway,
    // and a conversation keeps at most `turns + PRUNE_EVERY - 1` rows, for one statement in eight.
    if (seq > this.#bounds.turns && seq % PRUNE_EVERY === 0) {
      await this.#db.deleteFrom(TURNS_TABLE).where('conversation', '=', key).where('seq', '<=', seq - this.#bounds.turns).execute();
    }
  }
}

/** The text of the assistant's answer: its text blocks, joined. */
export function textOf(content: string | readonly ContentBlock[]): string {
  if (typeof content === 'string') return content;
  return content
    .filter((b): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('');
}
