// How the admin server answers an error: `{"error":{"code","message"}}` with its status. Codes
// are the runtime's own (`KORA_ERR_TASK_UNKNOWN`…) when an operation refused, else the HTTP-level
// words below; docs/web.md lists them.
import type { FastifyReply } from '@kora/runtime/http';
import { KoraError } from '@kora/runtime';

export type WebErrorCode = 'unauthorized' | 'forbidden' | 'csrf_failed' | 'not_found' | 'bad_request' | 'payload_too_large' | 'unsupported_media_type' | 'internal_error';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(code, message));
}

/** The status of an operation's coded refusal; undefined for anything else (a 500). */
const OPERATION_STATUS: Partial<Record<string, number>> = {
  KORA_ERR_TASK_UNKNOWN: 404,
  KORA_ERR_TASK_RUNNING: 409,
  KORA_ERR_GATEWAY_STOPPING: 409,
  KORA_ERR_OPERATION_ACTOR: 400,
};

export function operationStatus(err: unknown): number | undefined {
  return err instanceof KoraError ? OPERATION_STATUS[err.code] : undefined;
}

/** Thrown by a route for a bad query or body: answered 400 with the message. */
export class BadRequest extends Error {}
