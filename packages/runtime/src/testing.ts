// Helpers for testing plugins and the runtime without waiting on wall time.
export { ManualClock, flushMicrotasks } from './time/clock.js';
export { createSilentLogger } from './log/logger.js';
