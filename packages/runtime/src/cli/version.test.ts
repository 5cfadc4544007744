import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HOST_API_VERSION } from '../version.js';
import { main } from './main.js';

const runtimeVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) }, {}, '/nonexistent');
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('kora --version', () => {
  it.each([['--version'], ['-V']])('%s prints the runtime version and the host API version, exit 0', async (flag) => {
    const r = await run([flag]);
    expect(r).toEqual({ code: 0, out: `kora ${runtimeVersion}, host API ${HOST_API_VERSION}`, err: '' });
  });

  it('is listed in --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/-V, --version +print the runtime version and the host API version/);
  });
});
