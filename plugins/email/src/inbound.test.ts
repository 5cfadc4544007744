// Which inbound emails are answered, and how a reply is threaded: tables of cases.
import { inboundEmail, type InboundEmail } from '@kora/runtime';
import { describe, expect, it } from 'vitest';
import { automationReason, classifyInbound, conversationOf, isUnreadAddress, replyReferences, replySubject } from './inbound.js';

const OWN = new Set(['kora@kora.test']);

function email(fields: Record<string, unknown> = {}): InboundEmail {
  const read = inboundEmail({ messageId: '<m1@example.com>', from: 'Alice <alice@example.com>', subject: 'Uptime', text: 'Are you up?', ...fields });
  if ('error' in read) throw new Error(read.error);
  return read.email;
}

describe('classifyInbound', () => {
  it.each([
    ['no From', { from: undefined }, 'no From address'],
    ['the agent itself', { from: 'kora@kora.test' }, 'written by the agent itself'],
    ['a Reply-To pointing at the agent', { replyTo: 'Kora <KORA@kora.test>' }, 'its Reply-To is the agent itself'],
    ['Auto-Submitted: auto-replied', { headers: { 'Auto-Submitted': 'auto-replied' } }, 'Auto-Submitted: auto-replied'],
    ['Auto-Submitted: auto-generated', { headers: { 'auto-submitted': 'auto-generated; type=x' } }, 'Auto-Submitted: auto-generated'],
    ['a list', { headers: { 'List-Id': 'Ops <ops.example.com>' } }, 'List-Id'],
    ['Precedence: bulk', { headers: { Precedence: 'bulk' } }, 'Precedence: bulk'],
    ['Precedence: list', { headers: { Precedence: 'List' } }, 'Precedence: list'],
    ['Precedence: junk', { headers: { Precedence: 'junk' } }, 'Precedence: junk'],
    ['noreply@', { from: 'noreply@github.com' }, 'no-reply address (noreply@github.com)'],
    ['no-reply+tag@', { from: 'no-reply+x@example.com' }, 'no-reply address'],
    ['donotreply@', { from: 'DoNotReply@bank.example' }, 'no-reply address'],
    ['a Reply-To no-reply', { replyTo: 'no.reply@example.com' }, 'no-reply address (no.reply@example.com)'],
    ['an empty email', { subject: '', text: '  ' }, 'no subject and no text'],
  ])('does not answer %s', (_what, fields, reason) => {
    const decision = classifyInbound(email(fields), OWN);
    expect('ignore' in decision && decision.ignore).toContain(reason);
  });

  it.each([
    ['a person', {}, 'alice@example.com'],
    ['Auto-Submitted: no', { headers: { 'Auto-Submitted': 'no' } }, 'alice@example.com'],
    ['Precedence: first-class', { headers: { Precedence: 'first-class' } }, 'alice@example.com'],
    ['a Reply-To', { replyTo: 'team@example.com' }, 'team@example.com'],
    ['a local part merely containing reply', { from: 'replyguy@example.com' }, 'replyguy@example.com'],
  ])('answers %s, to %s', (_what, fields, to) => {
    const decision = classifyInbound(email(fields), OWN);
    expect('answer' in decision && decision.answer.to).toBe(to);
  });

  it('threads the answer: In-Reply-To the message, References its thread plus it, one conversation per thread', () => {
    const decision = classifyInbound(email({ subject: 'RE: Uptime', references: '<r@x> <p@x>', inReplyTo: '<p@x>' }), OWN);
    expect(decision).toEqual({ answer: { to: 'alice@example.com', subject: 'RE: Uptime', inReplyTo: '<m1@example.com>', references: ['<r@x>', '<p@x>', '<m1@example.com>'], conversation: 'email:<r@x>' } });
  });
});

describe('threading', () => {
  it.each([
    ['Uptime', 'Re: Uptime'],
    ['Re: Uptime', 'Re: Uptime'],
    ['re:Uptime', 're:Uptime'],
    ['Re[2]: Uptime', 'Re[2]: Uptime'],
    ['Regarding the outage', 'Re: Regarding the outage'],
    ['', 'Re: (no subject)'],
  ])('the reply to "%s" is "%s"', (subject, reply) => {
    expect(replySubject(subject)).toBe(reply);
  });

  it.each([
    [{ messageId: '<m@x>', inReplyTo: null, references: [] }, ['<m@x>']],
    [{ messageId: '<m@x>', inReplyTo: '<p@x>', references: [] }, ['<p@x>', '<m@x>']],
    [{ messageId: '<m@x>', inReplyTo: '<p@x>', references: ['<r@x>', '<p@x>'] }, ['<r@x>', '<p@x>', '<m@x>']],
    [{ messageId: '<m@x>', inReplyTo: null, references: ['<r@x>', '<m@x>'] }, ['<r@x>', '<m@x>']],
  ])('References of the reply to %j', (original, references) => {
    expect(replyReferences(original)).toEqual(references);
  });

  it('keys a thread with a very long Message-ID by its digest, within the engine’s 512 characters, the same for every email of it', () => {
    const root = `<${'x'.repeat(900)}@example.com>`;
    const first = conversationOf({ messageId: root, inReplyTo: null, references: [] });
    expect(first).toMatch(/^email:sha256:[0-9a-f]{64}$/);
    expect(conversationOf({ messageId: '<reply@example.com>', inReplyTo: root, references: [root] })).toBe(first);
    expect(conversationOf({ messageId: '<m@x>', inReplyTo: null, references: [] })).toBe('email:<m@x>');
  });

  it('reads automation headers and unread addresses', () => {
    expect(automationReason({})).toBeNull();
    expect(automationReason({ 'auto-submitted': 'No' })).toBeNull();
    expect(isUnreadAddress('mailer-daemon@mx.example.com')).toBe(true);
    expect(isUnreadAddress('postmaster@example.com')).toBe(true);
    expect(isUnreadAddress('noreplyfan@example.com')).toBe(false);
  });
});
