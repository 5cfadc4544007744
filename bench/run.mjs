// Runs every benchmark in turn (`npm run bench`, after a build); each prints a markdown table.
// The figures and how to read them are in docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const only = process.argv.slice(2);
const benches = ['boot', 'webhooks', 'engine', 'hooks', 'scheduler', 'fleet', 'soak'].filter((b) => only.length === 0 || only.includes(b));
let failed = false;
for (const name of benches) {
  console.log(`\n## bench/${name}\n`);
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(`./${name}/run.mjs`, import.meta.url))], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench/${name} failed (exit ${r.status ?? r.signal})`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
