// The promote plugin's table (`promote_proposals`) on the store kind of the vitest project
// (`sqlite`, `postgres`): the plugin's migrations run by the harness on a fresh store, then its
// real code paths — a finding offered (created, then updated with fresher evidence, never
// twice), approved or rejected once, refused when decided already, expired when nobody decided
// and offered again after, the counts by status, the list newest first (ties by id), the JSON
// payloads intact, and `kora__proposals list` reading it. DESIGN §7: every plugin table runs on
// SQLite and PostgreSQL alike.
import { createPluginHarness, ManualClock, type PluginHarness } from '@kora/runtime/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { freshPostgresUrl, storeKind } from '../../../packages/runtime/src/store/test-stores.test-helper.js';
import promote from './index.js';
import { EXPIRE_AFTER_MS, type Candidate } from './proposal.js';
import { ProposalStore } from './store.js';

const T0 = Date.UTC(2026, 0, 10);
const DAY = 86_400_000;
const open: PluginHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function boot(): Promise<PluginHarness> {
  const storeUrl = storeKind === 'postgres' ? await freshPostgresUrl() : 'sqlite::memory:';
  const h = await createPluginHarness(promote, { storeUrl, clock: new ManualClock(T0) });
  open.push(h);
  return h;
}

const trim = (key: string, tools: string[], offered: number): Candidate<'tool_trimming'> =>
  ({ key, title: `Trim ${tools.join(', ')} on ${key}`, payload: { route: key, tools } as never, evidence: { offered, called: 0, route: key } }) as Candidate<'tool_trimming'>;

describe(`promote_proposals on ${storeKind}`, () => {
  it('offers a finding once, updates its evidence, decides it once, and refuses a second decision', async () => {
    const h = await boot();
    const store = new ProposalStore(h.store.pluginDb('promote'));
    const created = await store.offer('tool_trimming', trim('cli', ['a', 'b'], 20), T0);
    expect(created.outcome).toBe('created');
    const updated = await store.offer('tool_trimming', trim('cli', ['a', 'b', 'c'], 30), T0 + DAY);
    expect(updated).toMatchObject({ outcome: 'updated', proposal: { id: created.proposal.id } });
    const read = await store.get(created.proposal.id);
    expect(read).toEqual({
      id: created.proposal.id,
      loop: 'tool_trimming',
      key: 'cli',
      status: 'pending',
      title: 'Trim a, b, c on cli',
      payload: { route: 'cli', tools: ['a', 'b', 'c'] },
      evidence: { offered: 30, called: 0, route: 'cli' },
      createdAt: T0,
      updatedAt: T0 + DAY,
      expiresAt: T0 + EXPIRE_AFTER_MS,
      decidedAt: null,
      decidedBy: null,
      reason: null,
    });
    expect(await store.setPayload(created.proposal.id, { route: 'cli', tools: ['a'] } as never, T0 + DAY)).toBe(true);

    const approved = await store.decide(created.proposal.id, { status: 'approved', actor: 'web:admin', reason: '  fine  ' }, T0 + 2 * DAY);
    expect(approved).toMatchObject({ status: 'approved', decidedAt: T0 + 2 * DAY, decidedBy: 'web:admin', reason: 'fine' });
    expect(await store.get(created.proposal.id)).toMatchObject({ status: 'approved', decidedAt: T0 + 2 * DAY, decidedBy: 'web:admin', reason: 'fine', payload: { tools: ['a'] } });
    expect(await store.setPayload(created.proposal.id, { route: 'cli', tools: [] } as never, T0 + 3 * DAY)).toBe(false);
    await expect(store.decide(created.proposal.id, { status: 'rejected', actor: 'cli' }, T0 + 3 * DAY)).rejects.toMatchObject({ code: 'KORA_ERR_PROPOSAL_NOT_PENDING', message: expect.stringContaining('approved by web:admin') });
    await expect(store.decide('nope', { status: 'approved', actor: 'cli' }, T0)).rejects.toMatchObject({ code: 'KORA_ERR_PROPOSAL_UNKNOWN' });
    // In effect: the same finding is not proposed again.
    expect((await store.offer('tool_trimming', trim('cli', ['a'], 40), T0 + 4 * DAY)).outcome).toBe('in_effect');
    expect((await store.approved()).map((p) => p.id)).toEqual([created.proposal.id]);

    // A rejected finding is not proposed again either.
    const other = await store.offer('tool_trimming', trim('slack_dm', ['x'], 20), T0);
    await store.decide(other.proposal.id, { status: 'rejected', actor: 'cli' }, T0 + DAY);
    expect((await store.offer('tool_trimming', trim('slack_dm', ['x'], 50), T0 + 2 * DAY)).outcome).toBe('rejected_before');
  });

  it('expires what nobody decided, once, offers it again after, and counts and lists by status', async () => {
    const h = await boot();
    const store = new ProposalStore(h.store.pluginDb('promote'));
    const a = await store.offer('tool_trimming', trim('cli', ['a'], 20), T0);
    const b = await store.offer('tool_trimming', trim('ask', ['b'], 20), T0);
    const c = await store.offer('tool_trimming', trim('web', ['c'], 20), T0 + DAY);
    expect(await store.expire(T0 + EXPIRE_AFTER_MS - 1)).toEqual([]);
    const expired = await store.expire(T0 + EXPIRE_AFTER_MS);
    expect(expired.map((p) => p.id).sort()).toEqual([a.proposal.id, b.proposal.id].sort());
    expect(expired[0]).toMatchObject({ status: 'expired', decidedBy: 'expiry', decidedAt: T0 + EXPIRE_AFTER_MS });
    expect(await store.expire(T0 + EXPIRE_AFTER_MS + 1)).toEqual([]);
    // Deciding one past its time expires it first, and is refused.
    await expect(store.decide(c.proposal.id, { status: 'approved', actor: 'cli' }, T0 + DAY + EXPIRE_AFTER_MS)).rejects.toMatchObject({ code: 'KORA_ERR_PROPOSAL_NOT_PENDING' });
    expect(await store.get(c.proposal.id)).toMatchObject({ status: 'expired', decidedBy: 'expiry' });
    // Expired: the same finding may be offered again, as a new proposal.
    const again = await store.offer('tool_trimming', trim('cli', ['a'], 60), T0 + 20 * DAY);
    expect(again.outcome).toBe('created');
    expect(again.proposal.id).not.toBe(a.proposal.id);

    expect(await store.counts()).toEqual({ pending: 1, approved: 0, rejected: 0, expired: 3 });
    const listed = await store.list();
    expect(listed.map((p) => p.createdAt)).toEqual([T0 + 20 * DAY, T0 + DAY, T0, T0]);
    // Two created at the same time: by id, the same on either database.
    expect(listed.slice(2).map((p) => p.id)).toEqual([a.proposal.id, b.proposal.id].sort());
    expect((await store.list({ status: 'expired', limit: 2 })).map((p) => p.id)).toEqual([c.proposal.id, ...[a.proposal.id, b.proposal.id].sort().slice(0, 1)]);

    const answer = await h.callTool('kora__proposals', { action: 'list', status: 'pending' });
    expect(answer).toMatchObject({ ok: true, result: { proposals: [{ id: again.proposal.id, loop: 'tool_trimming', status: 'pending' }], counts: { pending: 1, expired: 3 } } });
  });
});
