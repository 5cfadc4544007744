// The replies the agent owes or has sent (`email_replies`): kept from the engine's answer until
// the SMTP server took it, then kept as sent, so a redelivery of the same email (a retry, a
// gateway that died before the inbox item was completed, the poller seeing it again) never asks
// the engine twice and never sends twice — decision 0080.
import type { PluginContext } from '@kora/runtime';
import { REPLIES_TABLE } from './migrations.js';

type PluginDb = PluginContext['db'];

export type ReplyState = 'pending' | 'sent';

export interface ReplyRow {
  readonly inbound_message_id: string;
  readonly reply_message_id: string;
  readonly conversation: string;
  readonly recipient: string;
  readonly subject: string;
  readonly text: string;
  readonly state: ReplyState;
  readonly created_at: number;
  readonly sent_at: number | null;
  readonly attempts: number;
  readonly smtp_response: string | null;
}

export class Replies {
  readonly #db: PluginDb;

  constructor(db: PluginDb) {
    this.#db = db;
  }

  async find(inboundMessageId: string): Promise<ReplyRow | undefined> {
    const row = await this.#db.selectFrom(REPLIES_TABLE).selectAll().where('inbound_message_id', '=', inboundMessageId).executeTakeFirst();
    return row ? toRow(row) : undefined;
  }

  /** Whether `messageId` is one of the agent's own replies. */
  async isOwnReply(messageId: string): Promise<boolean> {
    const row = await this.#db.selectFrom(REPLIES_TABLE).select('inbound_message_id').where('reply_message_id', '=', messageId).executeTakeFirst();
    return row !== undefined;
  }

  /** Keep a reply before it is sent; the first kept wins (returned either way). */
  async keep(row: Omit<ReplyRow, 'state' | 'sent_at' | 'attempts' | 'smtp_response'>): Promise<ReplyRow> {
    await this.#db
      .insertInto(REPLIES_TABLE)
      .values({ ...row, state: 'pending', sent_at: null, attempts: 0, smtp_response: null })
      .onConflict((oc) => oc.column('inbound_message_id').doNothing())
      .execute();
    const kept = await this.find(row.inbound_message_id);
    if (!kept) throw new Error(`the reply to ${row.inbound_message_id} was not kept in ${REPLIES_TABLE}`);
    return kept;
  }

  async attempted(inboundMessageId: string, attempts: number): Promise<void> {
    await this.#db.updateTable(REPLIES_TABLE).set({ attempts }).where('inbound_message_id', '=', inboundMessageId).execute();
  }

  async sent(inboundMessageId: string, at: number, response: string): Promise<void> {
    await this.#db
      .updateTable(REPLIES_TABLE)
      .set({ state: 'sent', sent_at: at, smtp_response: response.slice(0, 500) })
      .where('inbound_message_id', '=', inboundMessageId)
      .execute();
  }

  /** Sent rows older than `before` (epoch ms); pending ones stay, they are owed. */
  async prune(before: number): Promise<number> {
    const result = await this.#db.deleteFrom(REPLIES_TABLE).where('state', '=', 'sent').where('sent_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async all(): Promise<ReplyRow[]> {
    return (await this.#db.selectFrom(REPLIES_TABLE).selectAll().orderBy('created_at').execute()).map(toRow);
  }
}

function toRow(row: Record<string, unknown>): ReplyRow {
  return {
    inbound_message_id: String(row.inbound_message_id),
    reply_message_id: String(row.reply_message_id),
    conversation: String(row.conversation),
    recipient: String(row.recipient),
    subject: String(row.subject),
    text: String(row.text),
    state: row.state === 'sent' ? 'sent' : 'pending',
    // bigint columns come back as strings from PostgreSQL.
    created_at: Number(row.created_at),
    sent_at: row.sent_at === null || row.sent_at === undefined ? null : Number(row.sent_at),
    attempts: Number(row.attempts),
    smtp_response: row.smtp_response === null || row.smtp_response === undefined ? null : String(row.smtp_response),
  };
}
