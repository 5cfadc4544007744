import { describe, expect, it } from 'vitest';
import { sampleStatus } from '../gateway/status.test-helper.js';
import { bootSummary, daemonStateLabel } from './summary.js';

describe('boot summary', () => {
  it('lists a failed enabled plugin and an enabled one with an invalid manifest as failures', () => {
    const s = sampleStatus({
      plugins: [
        { id: 'kora', version: '1', source: 'bundled', state: 'loaded', enabled: true, error: null },
        { id: 'broken', version: '1', source: 'user', state: 'failed', enabled: true, error: 'register threw' },
        { id: 'badmf', version: '1', source: 'user', state: 'invalid', enabled: true, error: 'manifest: id is missing' },
      ],
    });
    const out = bootSummary(s);
    expect(out).toContain('FAILED broken: register threw');
    expect(out).toContain('FAILED badmf: manifest: id is missing');
  });

  it('does not list a plugin nobody enabled as a failure, whatever its manifest', () => {
    const s = sampleStatus({
      plugins: [
        { id: 'kora', version: '1', source: 'bundled', state: 'loaded', enabled: true, error: null },
        { id: 'stray', version: '1', source: 'installed', state: 'invalid', enabled: false, error: 'manifest: hostApi is not a range' },
      ],
    });
    const out = bootSummary(s);
    expect(out).not.toContain('FAILED');
    expect(out).toContain('not enabled, invalid manifest: stray');
  });

  it('escapes control characters in names and messages, so no line can be forged', () => {
    const s = sampleStatus({
      problems: ['daemon evil failed: oops\n  problem   everything is fine'],
      plugins: [{ id: 'p', version: '1', source: 'user', state: 'failed', enabled: true, error: 'bad\n  plugins   9 loaded\u001b[2K' }],
      daemons: [{ ...sampleStatus().daemons[0]!, name: 'evil\nKora gateway running', state: 'failed', error: 'x\r\ny' }],
    });
    const lines = bootSummary(s).split('\n');
    expect(lines.filter((l) => l.startsWith('  problem'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('  plugins'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('Kora gateway'))).toHaveLength(1);
    expect(lines.join('\n')).toContain('FAILED evil\\nKora gateway running (kora): x\\r\\ny');
    expect(lines.join('\n')).toContain('bad\\n  plugins   9 loaded\\u001b[2K');
  });
});

describe('daemon state label', () => {
  it('says a pending daemon of a stopped or stopping gateway was not started', () => {
    expect(daemonStateLabel({ state: 'pending', skipped: null }, 'stopped')).toBe('not started');
    expect(daemonStateLabel({ state: 'pending', skipped: null }, 'shutting_down')).toBe('not started');
  });

  it('keeps pending while the gateway boots, and says why a skipped daemon did not start', () => {
    expect(daemonStateLabel({ state: 'pending', skipped: null }, 'booting')).toBe('pending');
    expect(daemonStateLabel({ state: 'stopped', skipped: 'named by --skip' }, 'running')).toBe('not started (named by --skip)');
    expect(daemonStateLabel({ state: 'failed', skipped: null }, 'stopped')).toBe('failed');
  });

  it('shows the running daemons\' endpoints, with the login link in place of the URL when there is one', () => {
    const base = sampleStatus().daemons[0]!;
    const s = sampleStatus({
      daemons: [
        { ...base, name: 'web', endpoints: [{ name: 'admin UI', url: 'http://127.0.0.1:9119/login', note: 'token in /h/admin_token' }] },
        { ...base, name: 'mcp', endpoints: [{ name: 'MCP', url: 'http://127.0.0.1:9119/mcp' }] },
      ],
    });
    const lines = bootSummary(s, [{ daemon: 'web', name: 'admin UI', login: 'http://127.0.0.1:9119/login#token=abc' }]).split('\n');
    expect(lines).toContain('  web       admin UI http://127.0.0.1:9119/login#token=abc (token in /h/admin_token)');
    expect(lines).toContain('  mcp       MCP http://127.0.0.1:9119/mcp');
    expect(bootSummary(s)).toContain('  web       admin UI http://127.0.0.1:9119/login (token in /h/admin_token)');
  });

  it('prints the note of a running daemon that does without something', () => {
    const base = sampleStatus().daemons[0]!;
    const s = sampleStatus({ daemons: [{ ...base, name: 'slack_client', note: 'KORA_SLACK_BOT_TOKEN is not set: no Slack client' }] });
    expect(bootSummary(s).split('\n')).toContain('            note slack_client: KORA_SLACK_BOT_TOKEN is not set: no Slack client');
  });
});

