// The one payload of `email.inbound`: what each field is read from, as a table of cases.
import { describe, expect, it } from 'vitest';
import { bareAddress, emailThreadId, inboundEmail, messageIds } from './inbound-email.js';

describe('inboundEmail', () => {
  it('reads every field, and each from its header when the field is absent', () => {
    const fromFields = inboundEmail({
      messageId: ' <m1@x> ',
      from: 'Alice Example <Alice@Example.com>',
      replyTo: 'team@example.com',
      to: 'kora@kora.test, Ops <ops@kora.test>',
      subject: 'Hi',
      text: 'body',
      inReplyTo: '<m0@x>',
      references: ['<r@x>', '<m0@x>'],
      date: '2026-01-01T10:00:00Z',
    });
    const fromHeaders = inboundEmail({
      text: 'body',
      headers: {
        'Message-ID': '<m1@x>',
        From: '"Alice Example" <alice@example.com>',
        'Reply-To': '<team@example.com>',
        To: ['kora@kora.test', 'ops@kora.test'],
        Subject: 'Hi',
        'In-Reply-To': '<m0@x>',
        References: '<r@x>\r\n <m0@x>',
        Date: 'Thu, 01 Jan 2026 10:00:00 +0000',
      },
    });
    for (const read of [fromFields, fromHeaders]) {
      expect(read).toMatchObject({
        email: { messageId: '<m1@x>', from: 'alice@example.com', fromName: 'Alice Example', replyTo: 'team@example.com', to: ['kora@kora.test', 'ops@kora.test'], subject: 'Hi', text: 'body', inReplyTo: '<m0@x>', references: ['<r@x>', '<m0@x>'], date: '2026-01-01T10:00:00.000Z' },
      });
    }
  });

  it('lower-cases header names, joins repeated ones, and drops values that are not text', () => {
    const read = inboundEmail({ messageId: '<a@x>', headers: { 'List-Id': '<l.x>', 'list-id': '<m.x>', Precedence: ['bulk'], 'X-Count': 3, 'X-Obj': { a: 1 } } });
    expect('email' in read && read.email.headers).toEqual({ 'list-id': '<l.x>, <m.x>', precedence: 'bulk', 'x-count': '3' });
  });

  it.each([
    [null, 'not a JSON object'],
    [[], 'not a JSON object'],
    [{ subject: 'x' }, 'no Message-ID'],
    [{ messageId: '  ', headers: { 'message-id': '' } }, 'no Message-ID'],
  ])('refuses %j: %s', (body, why) => {
    const read = inboundEmail(body);
    expect('error' in read && read.error).toContain(why);
  });

  it('keeps a message with only a Message-ID, with empty fields', () => {
    expect(inboundEmail({ messageId: '<a@x>' })).toEqual({
      email: { messageId: '<a@x>', from: null, fromName: null, replyTo: null, to: [], subject: '', text: '', inReplyTo: null, references: [], date: null, headers: {} },
    });
  });
});

describe('addresses, Message-IDs and threads', () => {
  it.each([
    ['a@x.io', 'a@x.io'],
    ['A <A@X.io>', 'a@x.io'],
    ['"Last, First" <f@x.io>', 'f@x.io'],
    [{ address: 'B@x.io', name: 'B' }, 'b@x.io'],
    ['not an address', null],
    ['', null],
    [42, null],
  ])('bareAddress(%j) is %j', (value, address) => {
    expect(bareAddress(value)).toBe(address);
  });

  it('reads Message-IDs from a header value or a list', () => {
    expect(messageIds('<a@x> <b@x>\r\n\t<c@x>')).toEqual(['<a@x>', '<b@x>', '<c@x>']);
    expect(messageIds(['<a@x>', 7, '<b@x>'])).toEqual(['<a@x>', '<b@x>']);
    expect(messageIds(undefined)).toEqual([]);
  });

  it.each([
    [{ messageId: '<m@x>', inReplyTo: null, references: [] }, '<m@x>'],
    [{ messageId: '<m@x>', inReplyTo: '<p@x>', references: [] }, '<p@x>'],
    [{ messageId: '<m@x>', inReplyTo: '<p@x>', references: ['<root@x>', '<p@x>'] }, '<root@x>'],
  ])('the thread of %j is %s', (email, thread) => {
    expect(emailThreadId(email)).toBe(thread);
  });
});
