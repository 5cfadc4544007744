import type { GatewayOperations, GatewayStatus, GatewayView, RunRecord } from '@kora/runtime';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KORA_TOOLS } from './kora-tools.js';

// The harness's status schedules no task, so kora__list_tasks is checked here against a status
// with tasks (and end to end against a real gateway in test/e2e/mcp.test.ts).
const task = (name: string, daemon: string) => ({ name, daemon, pluginId: 'p', schedule: 'every 1h', enabled: true as const, nextRun: null, lastRun: null, runs: 1, failures: 0, skips: 0, misses: 0, running: false });
const status = {
  daemons: [
    { name: 'a', state: 'running', tasks: [task('a.one', 'a'), task('a.two', 'a')] },
    { name: 'b', state: 'failed', tasks: [] },
  ],
} as unknown as GatewayStatus;
const row = (t: string, slot: number): RunRecord => ({ task: t, daemon: 'a', slot, status: 'ok', startedAt: slot, finishedAt: slot, durationMs: 0, error: null, owner: 's', trigger: 'manual' });

const asked: { task?: string; limit?: number }[] = [];
const gateway: GatewayView = {
  sessionId: 's',
  identity: () => null,
  status: () => status,
  recentRuns: async (q = {}) => {
    asked.push(q);
    return [row(q.task ?? '', 2), row(q.task ?? '', 1)].slice(0, q.limit);
  },
  readAudit: async () => [],
  auditPage: async () => [],
  tailAudit: async () => ({ entries: [], cursor: { afterId: 0 } as never }),
  fleet: async () => ({ store: { kind: 'sqlite', location: 'sqlite::memory:' }, leaseMs: 15_000, leader: null, gateways: [] }),
};
const byName = (name: string) => KORA_TOOLS.find((t) => t.name === name)!;
const run = (name: string, input: Record<string, unknown>) => {
  const t = byName(name);
  return t.run(z.object(t.input).parse(input) as never, { gateway, operations: {} as GatewayOperations }, { caller: { id: 'c', capabilities: new Set(['*']), source: 'test' }, signal: new AbortController().signal });
};

describe('kora__list_tasks', () => {
  it('lists every task of the status with its daemon state and its recent runs, newest first', async () => {
    asked.length = 0;
    const { tasks } = (await run('kora__list_tasks', { runs: 1 })) as { tasks: { name: string; daemonState: string; recentRuns: RunRecord[] }[] };
    expect(tasks.map((t) => [t.name, t.daemonState, t.recentRuns.map((r) => r.slot)])).toEqual([
      ['a.one', 'running', [2]],
      ['a.two', 'running', [2]],
    ]);
    expect(asked).toEqual([{ task: 'a.one', limit: 1 }, { task: 'a.two', limit: 1 }]);
  });
});

describe('the kora__ tools', () => {
  it('each need one capability and describe every input', () => {
    for (const t of KORA_TOOLS) {
      expect(t.name).toMatch(/^kora__[a-z_]+$/);
      for (const [key, schema] of Object.entries(t.input)) expect((schema as z.ZodType).description, `${t.name}.${key}`).toMatch(/\w/);
    }
    expect(Object.fromEntries(KORA_TOOLS.map((t) => [t.name, t.capability]))).toEqual({
      kora__daemon_status: 'status:read',
      kora__list_tasks: 'status:read',
      kora__run_task: 'tasks:run',
      kora__audit_tail: 'audit:read',
      kora__dead_letters: 'inbox:read',
      kora__replay_dead_letter: 'inbox:write',
      kora__request_stop: 'gateway:stop',
    });
  });

  it('takes since and until as epoch ms or ISO times, and refuses other text', () => {
    const input = z.object(byName('kora__audit_tail').input);
    expect(input.parse({ since: '2026-01-01T00:00:00Z', until: 5 })).toMatchObject({ since: Date.UTC(2026, 0, 1), until: 5 });
    expect(input.safeParse({ since: 'yesterday' }).success).toBe(false);
  });
});
