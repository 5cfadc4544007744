// Logging cost of secret scrubbing: a JSON log line with fields and an error, through the
// gateway's logger with a scrubber that knows 20 secrets, against plain pino with no redaction
// at all (the floor) and the logger with a scrubber that knows no values (keys and shapes only).
// Run from the repository root after a build: `npm run build && node bench/logging/run.mjs`.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createLogger, createSecretScrubber } from '../../packages/runtime/dist/internal.js';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const BATCH = Number(args.get('batch') ?? 5_000);
const ROUNDS = Number(args.get('rounds') ?? 15);

// A sink that keeps nothing: the cost measured is building the line, not the write.
const sink = () => new Writable({ write: (_c, _e, done) => done() });

const env = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`SERVICE_${i}_TOKEN`, `tok-${i}-${'x'.repeat(24)}-${i}`]));
env.DATABASE_URL = 'postgres://kora:pg-secret-pw@db:5432/kora';

const floor = pino({ level: 'info', base: { pid: process.pid } }, sink());
const shapes = await createLogger({ destination: sink() });
const scrubbed = await createLogger({ destination: sink(), scrubber: createSecretScrubber({ env }) });

const err = new Error('upstream refused the request (status 503)');
const line = (log, i) => {
  log.child({ plugin: 'slack' }).info({ daemon: 'slack_client', task: 'slack.poll', attempt: i, durationMs: 12.5, channel: 'C0123', user: { id: 'U1', name: 'ann' } }, 'slack.poll run finished');
  log.error({ err, daemon: 'slack_client' }, 'slack.poll run failed');
};

function time(log) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < BATCH; i++) line(log, i);
  return Number(process.hrtime.bigint() - t) / BATCH / 2 / 1000; // µs per log call
}

const rows = { floor: [], shapes: [], scrubbed: [] };
for (let r = 0; r < ROUNDS + 3; r++) {
  const f = time(floor);
  const s = time(shapes);
  const v = time(scrubbed);
  if (r < 3) continue; // warm-up
  rows.floor.push(f);
  rows.shapes.push(s);
  rows.scrubbed.push(v);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('| logger | µs per call (median) | × floor |');
console.log('|---|---|---|');
for (const [name, xs] of Object.entries(rows)) console.log(`| ${name} | ${median(xs).toFixed(2)} | ${(median(xs) / median(rows.floor)).toFixed(2)}× |`);
