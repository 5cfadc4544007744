// Leader-scoped daemons (DESIGN §6a): they wait on a gateway that does not lead, start when it
// takes the lead, stop (in reverse order) when it loses it, and can start again after.
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../log/logger.js';
import { ServiceRegistry } from '../services/registry.js';
import { ManualClock } from '../time/clock.js';
import { Supervisor, type SupervisedDaemon } from './supervisor.js';

function daemon(name: string, log: string[], scope: 'everywhere' | 'leader'): SupervisedDaemon {
  return {
    name,
    pluginId: `p-${name}`,
    spec: { name, start: () => void log.push(`${name}:start`), stop: () => void log.push(`${name}:stop`) },
    fatal: false,
    scope,
    startTimeoutMs: 1_000,
    stopTimeoutMs: 1_000,
  };
}

describe('Supervisor with leader-scoped daemons', () => {
  it('starts only the daemons that run everywhere on a gateway that does not lead; the leader-scoped ones wait pending', async () => {
    const log: string[] = [];
    let leading = false;
    const sup = new Supervisor({
      daemons: [daemon('web', log, 'everywhere'), daemon('imap', log, 'leader'), daemon('learn', log, 'leader')],
      services: new ServiceRegistry(),
      logger: createSilentLogger(),
      clock: new ManualClock(),
      isLeader: () => leading,
    });
    expect(await sup.start()).toEqual({ ok: true, failed: [] });
    expect(log).toEqual(['web:start']);
    expect(Object.fromEntries(sup.status().map((d) => [d.name, [d.state, d.scope]]))).toEqual({ web: ['running', 'everywhere'], imap: ['pending', 'leader'], learn: ['pending', 'leader'] });

    leading = true;
    expect(await sup.startLeaderScoped()).toEqual(['imap', 'learn']);
    expect(sup.runningLeaderScoped()).toEqual(['imap', 'learn']);
    // Lost the lead: stopped in reverse order, the rest left running.
    await sup.stopLeaderScoped(sup.runningLeaderScoped());
    expect(log).toEqual(['web:start', 'imap:start', 'learn:start', 'learn:stop', 'imap:stop']);
    expect(sup.running()).toEqual(['web']);
    // The lead came back: they start again, once each.
    expect(await sup.startLeaderScoped()).toEqual(['imap', 'learn']);
    expect(await sup.startLeaderScoped()).toEqual([]);
    // The gateway's stop stops everything that runs, LIFO.
    await sup.stop();
    expect(log.slice(-3)).toEqual(['learn:stop', 'imap:stop', 'web:stop']);
  });

  it('starts every daemon on the leader (one gateway always leads)', async () => {
    const log: string[] = [];
    const sup = new Supervisor({ daemons: [daemon('a', log, 'leader'), daemon('b', log, 'everywhere')], services: new ServiceRegistry(), logger: createSilentLogger(), clock: new ManualClock() });
    await sup.start();
    expect(log).toEqual(['a:start', 'b:start']);
  });
});
