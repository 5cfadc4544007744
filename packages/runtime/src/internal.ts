// Internals for the repository's own benchmarks and tools. Not part of the public API and not
// exported by package.json: plugins import `@kora/runtime` only.
export { HookBus } from './hooks/hook-bus.js';
export { Scheduler } from './schedule/scheduler.js';
export { resolveTask } from './schedule/resolve.js';
export { openStore } from './store/index.js';
export { sqliteDriver } from './store/sqlite-driver.js';
export { createSystemClock } from './time/clock.js';
export { createLogger, createSilentLogger } from './log/logger.js';
export { createSecretScrubber } from './log/scrubber.js';
// The boot steps one by one, for bench/boot/phases.mjs.
export { Gateway } from './gateway/gateway.js';
export { loadConfigFile } from './config/load.js';
export { discoverPlugins } from './plugins/discovery.js';
export { loadPlugins } from './plugins/loader.js';
export { importPluginEntry } from './plugins/plugin-script.js';
export { resolveIdentity } from './identity/resolve.js';
export { statusFilePath, writeStatusFile } from './gateway/status-file.js';
