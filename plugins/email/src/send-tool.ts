// The `kora__send_email` tool (engine and MCP): one email through the `email.sender` service.
// It answers, never throws: `{ ok: true, messageId, accepted, rejected }`, or `{ ok: false,
// error: { code, message } }` the model can read and act on (KORA_ERR_EMAIL_SENDER_UNAVAILABLE
// without a sender, KORA_ERR_EMAIL_FROM_REFUSED, KORA_ERR_EMAIL_SEND_FAILED with the server's
// answer, invalid_input).
import { KoraError, type Services, type ToolSpec } from '@kora/runtime';
import { senderUnavailable } from './errors.js';
import { SENDER_SERVICE } from './sender-daemon.js';

export const SEND_TOOL = 'kora__send_email';

export type SendEmailResult =
  | { readonly ok: true; readonly messageId: string; readonly accepted: readonly string[]; readonly rejected: readonly string[] }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

export function sendEmailTool(services: Services): ToolSpec {
  return {
    name: SEND_TOOL,
    description: 'Send an email from the agent’s address. in_reply_to (a Message-ID) and references thread it as an answer.',
    inputSchema: {
      type: 'object',
      properties: {
        to: { type: 'string', minLength: 3, description: 'The recipient’s address (several separated by commas).' },
        subject: { type: 'string', minLength: 1, description: 'The subject line.' },
        text: { type: 'string', minLength: 1, description: 'The plain-text body.' },
        in_reply_to: { type: 'string', minLength: 3, description: 'The Message-ID this answers, <…@…>.' },
        references: { type: 'array', items: { type: 'string' }, description: 'The thread’s Message-IDs, oldest first.' },
      },
      required: ['to', 'subject', 'text'],
      additionalProperties: false,
    },
    timeout: '60s',
    mcp: true,
    async run(input): Promise<SendEmailResult> {
      const { to, subject, text, in_reply_to, references } = input;
      const bad = [
        typeof to !== 'string' || !to.includes('@') ? 'to must be an email address' : null,
        typeof subject !== 'string' || subject.trim() === '' ? 'subject must be a non-empty string' : null,
        typeof text !== 'string' || text.trim() === '' ? 'text must be a non-empty string' : null,
        in_reply_to !== undefined && (typeof in_reply_to !== 'string' || !/^<[^<>\s]+>$/.test(in_reply_to)) ? 'in_reply_to, when given, must be a Message-ID such as <abc@example.com>' : null,
        references !== undefined && (!Array.isArray(references) || references.some((r) => typeof r !== 'string')) ? 'references, when given, must be a list of Message-IDs' : null,
      ].filter((m): m is string => m !== null);
      if (bad.length > 0) return { ok: false, error: { code: 'invalid_input', message: bad.join('; ') } };
      const sender = services.tryGet(SENDER_SERVICE);
      if (!sender) return failed(senderUnavailable('the email was not sent'));
      try {
        const sent = await sender.send({
          to: (to as string).split(',').map((a) => a.trim()).filter((a) => a !== ''),
          subject: subject as string,
          text: text as string,
          ...(typeof in_reply_to === 'string' ? { inReplyTo: in_reply_to } : {}),
          ...(Array.isArray(references) ? { references: references as string[] } : {}),
        });
        return { ok: true, messageId: sent.messageId, accepted: sent.accepted, rejected: sent.rejected };
      } catch (err) {
        if (err instanceof KoraError) return failed(err);
        throw err;
      }
    },
  };
}

function failed(err: KoraError): SendEmailResult {
  return { ok: false, error: { code: err.code, message: err.message } };
}
