// bench/webhooks: signed Slack events into a real gateway's public receiver — verified (Slack
// signing v0), kept in the durable inbox (SQLite, WAL), then 200 — against a bare Fastify
// route answering 200 on the same machine, in the same run, with the same load generator.
// Run: npm run build && node bench/webhooks/run.mjs [--duration 10] [--connections 10]
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchEnv } from '../boot/env.mjs';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' }, rounds: { type: 'string', default: '2' } } });
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const ROUNDS = Number(values.rounds);
const REPO = resolve(import.meta.dirname, '../..');
const SECRET = 'bench-signing-secret';
const TARGET = 0.5;

const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

/** Start a child and resolve once `ready` appears on its stdout. */
function startChild(args, env, ready, cwd = REPO) {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const late = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`${args.join(' ')} did not print "${ready}" within 60 s\n${out}\n${err}`));
    }, 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes(ready)) {
        clearTimeout(late);
        res(child);
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => rej(new Error(`${args.join(' ')} exited ${code} before "${ready}"\n${out}\n${err}`)));
  });
}

const stop = (child) =>
  new Promise((res) => {
    if (child.exitCode !== null) return res();
    child.once('exit', res);
    child.kill('SIGTERM');
  });

// The floor: the same framework, one route, no verification and no store.
const BARE = `
import Fastify from 'fastify';
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
app.post('/api/webhooks/slack/events', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
console.log('bare ready');
`;

let seq = 0;
/** Each request a new event (a new `event_id`), signed now: every one is verified and stored. */
function signedRequest() {
  return {
    method: 'POST',
    path: '/api/webhooks/slack/events',
    setupRequest(request) {
      const id = `Ev${process.pid}x${++seq}`;
      const body = JSON.stringify({ type: 'event_callback', team_id: 'T1', event_id: id, event_time: 1, event: { type: 'message', channel: 'D1', user: 'U1', text: `hello ${seq}`, ts: `${seq}.000100` } });
      const ts = Math.floor(Date.now() / 1000);
      const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
      return { ...request, body, headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature } };
    },
  };
}

function load(port) {
  return new Promise((res, rej) => {
    autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: DURATION, requests: [signedRequest()] }).then(res, rej);
  });
}

const home = mkdtempSync(join(tmpdir(), 'kora-bench-webhooks-'));
const config = join(home, 'kora.yaml');
// Rate limit out of the way: the bench measures the work per request, not the limiter's refusals.
writeFileSync(config, `home: ${home}\nplugins:\n  enabled: [kora, webhooks]\n  config:\n    webhooks:\n      rateLimit: { max: 100000000, timeWindow: 60000 }\nlog:\n  level: warn\n`);
const bareFile = join(home, 'bare.mjs');
writeFileSync(bareFile, BARE);

const rows = { bare: [], kora: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of ['bare', 'kora']) {
      const port = await freePort();
      const env = benchEnv('clean', { PORT: String(port), KORA_WEBHOOK_HOST: '127.0.0.1', KORA_WEBHOOK_PORT: String(port), KORA_SLACK_SIGNING_SECRET: SECRET, KORA_DEPLOY_ENV: 'bench', KORA_HOME: home });
      // The bare server resolves fastify from the repository, as the plugin does.
      const child =
        side === 'bare'
          ? await startChild(['--input-type=module', '-e', BARE], env, 'bare ready', join(REPO, 'plugins/webhooks'))
          : await startChild([join(REPO, 'packages/runtime/bin/kora.js'), 'daemon', '--config', config], env, 'Kora gateway running');
      console.error(`bench/webhooks: ${side} on port ${port}, ${DURATION} s of load…`);
      try {
        const r = await load(port);
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${side}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
        rows[side].push({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total });
      } finally {
        await stop(child);
      }
    }
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}

const best = (side) => rows[side].reduce((a, b) => (b.rps > a.rps ? b : a));
const bare = best('bare');
const kora = best('kora');
const ratio = kora.rps / bare.rps;
console.log('| server | requests/s | p50 latency | p99 latency | requests in the run |');
console.log('|---|---:|---:|---:|---:|');
console.log(`| bare Fastify route, 200 (floor) | ${bare.rps.toFixed(0)} | ${bare.p50} ms | ${bare.p99} ms | ${bare.total} |`);
console.log(`| Kora: verified, in the inbox, 200 | ${kora.rps.toFixed(0)} | ${kora.p50} ms | ${kora.p99} ms | ${kora.total} |`);
console.log(`\nTarget: ≥ ${TARGET}× the bare route's rate: ${ratio.toFixed(2)}× ${ratio >= TARGET ? '✅' : '❌'}`);
console.log(`autocannon, ${CONNECTIONS} connections, ${DURATION} s per run, best of ${ROUNDS} interleaved rounds; each request a new signed event; node ${process.version}, ${process.platform} ${process.arch}`);
if (ratio < TARGET) process.exitCode = 1;
