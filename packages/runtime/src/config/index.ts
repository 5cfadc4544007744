// Config: locate kora.yaml and the home, read the environment, validate, apply the deploy-env gate.
export { configJsonSchema, configSchema, LOG_LEVELS, PLUGIN_ID_RE, type DaemonOverride, type KoraConfig, type KoraConfigInput, type TaskOverrideConfig } from './schema.js';
export { defaultHome, locateConfig, resolveHome, type ConfigLocation, type Env } from './locate.js';
export { loadConfigFile, MAX_CONFIG_BYTES, parseConfig, parseConfigText, type LoadedConfig } from './load.js';
export { createConfigSource } from './source.js';
export { resolveDeployEnv } from './deploy-env.js';
export { FLAG_ACCEPTED, parseEnvFlag, readEnvFlag } from './env-flag.js';
export { KORA_ENV, readKoraEnv, type KoraEnv } from './env.js';
export { cronProblem, isTimeZone, MIN_PERIOD_MS, offsetProblem, periodProblem, timezoneProblem } from './schedule-rules.js';
export { checkPluginConfig, type ConfigWarning, type PluginSeen } from './plugin-config-check.js';
