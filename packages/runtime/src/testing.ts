// @kora/runtime/testing: what plugin authors test with. The harness runs a plugin's real
// `register` against the runtime's real parts, on a clock that moves only when told to.
export { ManualClock, flushMicrotasks } from './time/clock.js';
export { createSilentLogger } from './log/logger.js';
export { createPluginHarness } from './testing/plugin-harness.js';
export type { HarnessedPlugin, LogLine, PluginHarness, PluginHarnessOptions, TaskOutcome } from './testing/plugin-harness.js';
