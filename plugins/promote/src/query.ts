// Reading what a surface asks for (a query string, a tool's input): a status, a loop, a limit,
// an id, a reason. Bad input is a coded refusal naming the field and what is accepted.
import { KoraError } from '@kora/runtime';
import { isLoop, isStatus, LOOPS, STATUSES, type LoopName, type ProposalStatus } from './proposal.js';
import type { ListQuery } from './store.js';

export class ProposalInputError extends KoraError {
  constructor(message: string) {
    super('KORA_ERR_USAGE', message);
  }
}

const first = (value: unknown): unknown => (Array.isArray(value) ? value[0] : value);

export function listQuery(input: Readonly<Record<string, unknown>>): ListQuery {
  const status = first(input.status);
  const loop = first(input.loop);
  const limit = first(input.limit);
  if (status !== undefined && status !== '' && status !== 'all' && !isStatus(status)) throw new ProposalInputError(`status must be one of ${STATUSES.join(', ')} (or all), not ${JSON.stringify(status)}`);
  if (loop !== undefined && loop !== '' && !isLoop(loop)) throw new ProposalInputError(`loop must be one of ${LOOPS.join(', ')}, not ${JSON.stringify(loop)}`);
  let n: number | undefined;
  if (limit !== undefined && limit !== '') {
    n = typeof limit === 'number' ? limit : Number(limit);
    if (!Number.isSafeInteger(n) || n < 1 || n > 500) throw new ProposalInputError(`limit must be a whole number from 1 to 500, not ${JSON.stringify(limit)}`);
  }
  return {
    ...(isStatus(status) ? { status: status as ProposalStatus } : {}),
    ...(isLoop(loop) ? { loop: loop as LoopName } : {}),
    ...(n !== undefined ? { limit: n } : {}),
  };
}

const ID_RE = /^[0-9a-f]{10}$/;

export function proposalId(value: unknown): string {
  if (typeof value !== 'string' || !ID_RE.test(value)) throw new ProposalInputError(`a proposal id is 10 hexadecimal digits (as \`kora proposals list\` shows them), not ${JSON.stringify(value)}`);
  return value;
}

export function reasonOf(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ProposalInputError('reason must be text');
  return value.slice(0, 512);
}
