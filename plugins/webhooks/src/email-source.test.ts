import { describe, expect, it } from 'vitest';
import { emailSource, messageIdOf, verifyEmailRequest } from './email-source.js';
import { hmacSha256 } from './hmac.js';
import type { WebhookRequest } from './source.js';

const SECRET = 'mail-secret';
const BODY = '{"messageId":"<m1@example.com>","subject":"hi"}';
const request = (headers: Record<string, string>, body = BODY): WebhookRequest => ({ rawBody: Buffer.from(body), headers, now: 0 });
const hex = (body: string, secret = SECRET) => hmacSha256(secret, body).toString('hex');

describe('inbound email signatures', () => {
  it('accepts the hex HMAC-SHA256 of the raw body, with or without the sha256= prefix', () => {
    expect(verifyEmailRequest(SECRET, request({ 'x-kora-signature': hex(BODY) }))).toBeNull();
    expect(verifyEmailRequest(SECRET, request({ 'x-kora-signature': `sha256=${hex(BODY)}` }))).toBeNull();
    expect(verifyEmailRequest(SECRET, request({ 'x-kora-signature': hex(BODY).toUpperCase() }))).toBeNull();
  });

  it('checks the secret, then the header, then the signature', () => {
    expect(verifyEmailRequest(undefined, request({ 'x-kora-signature': hex(BODY) }))).toEqual({ reason: 'email_secret_unset', status: 401 });
    expect(verifyEmailRequest(SECRET, request({}))).toEqual({ reason: 'email_signature_missing', status: 401 });
    expect(verifyEmailRequest(SECRET, request({ 'x-kora-signature': hex(BODY, 'other') }))).toEqual({ reason: 'email_signature_mismatch', status: 401 });
    expect(verifyEmailRequest(SECRET, request({ 'x-kora-signature': 'sha256=xyz' }))).toEqual({ reason: 'email_signature_mismatch', status: 401 });
    expect(verifyEmailRequest(SECRET, request({ 'x-kora-signature': hex(BODY) }, `${BODY} `))).toEqual({ reason: 'email_signature_mismatch', status: 401 });
  });
});

describe('the email source', () => {
  it('keys a message by its messageId, else by its Message-ID header in any case', () => {
    expect(messageIdOf({ messageId: '<a@x>' })).toBe('<a@x>');
    expect(messageIdOf({ headers: { 'Message-ID': '<b@x>' } })).toBe('<b@x>');
    expect(messageIdOf({ headers: { 'message-id': '<c@x>' } })).toBe('<c@x>');
    expect(messageIdOf({ messageId: '', headers: {} })).toBeUndefined();
  });

  it('keeps a message in email.inbound as the runtime’s InboundEmail and refuses one without a Message-ID', () => {
    const source = emailSource({});
    const body = {
      messageId: '<m1@example.com>',
      from: 'Alice Example <Alice@Example.com>',
      to: ['kora@kora.example'],
      subject: 'Uptime?',
      text: 'Are you up?',
      headers: { 'Message-ID': '<m1@example.com>', References: '<root@example.com> <m0@example.com>', 'In-Reply-To': '<m0@example.com>', 'Auto-Submitted': 'no' },
    };
    expect(source.toOutcome(body, request({}))).toEqual({
      item: {
        topic: 'email.inbound',
        key: '<m1@example.com>',
        payload: {
          messageId: '<m1@example.com>',
          from: 'alice@example.com',
          fromName: 'Alice Example',
          replyTo: null,
          to: ['kora@kora.example'],
          subject: 'Uptime?',
          text: 'Are you up?',
          inReplyTo: '<m0@example.com>',
          references: ['<root@example.com>', '<m0@example.com>'],
          date: null,
          headers: { 'message-id': '<m1@example.com>', references: '<root@example.com> <m0@example.com>', 'in-reply-to': '<m0@example.com>', 'auto-submitted': 'no' },
        },
      },
    });
    expect(source.toOutcome({ subject: 'x' }, request({}))).toEqual({ reason: 'email_message_id_missing', status: 400 });
  });
});
