// The environments bench/boot runs both the floor and the gateway under: the same for both, so
// a cost every node process pays (NODE_EXTRA_CA_CERTS: Node reads and parses the whole CA file
// at start, ≈ 30 ms) weighs on both sides of the ratio, or on neither.

/** Variables that change what every node process does at start-up. */
const START_UP_COSTS = ['NODE_EXTRA_CA_CERTS'];

/**
 * `machine`: this process's environment as it is; `clean`: the same without the start-up costs.
 * npm's own variables are dropped (under `npm run bench` they would point a child at npm).
 */
export function benchEnv(kind, extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v;
  if (kind === 'clean') for (const k of START_UP_COSTS) delete env[k];
  else if (kind !== 'machine') throw new Error(`unknown bench environment "${kind}" (machine or clean)`);
  return { ...env, ...extra };
}

/** What `machine` has that `clean` drops, for the report. */
export function startUpCostsSet() {
  return START_UP_COSTS.filter((k) => process.env[k] !== undefined);
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];
export const min = (xs) => Math.min(...xs);
