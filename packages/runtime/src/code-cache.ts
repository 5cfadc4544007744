// The gateway's word to dist/load.js that a boot is done (decision 0140): what it compiles is
// compiled by now, so the V8 code caches of the runtime's scripts can be refreshed. Running from
// sources (tests) nothing listens, and this does nothing.

const SETTLE = Symbol.for('kora.codeCache.settle');

export function settleCodeCache(): void {
  const settle = (globalThis as Record<symbol, unknown>)[SETTLE];
  if (typeof settle === 'function') (settle as () => void)();
}
