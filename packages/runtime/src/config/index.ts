// Config: locate kora.yaml and the home, validate, apply the deploy-env gate.
export { configJsonSchema, configSchema, PLUGIN_ID_RE, type DaemonOverride, type KoraConfig, type KoraConfigInput, type TaskOverrideConfig } from './schema.js';
export { defaultHome, locateConfig, resolveHome, type ConfigLocation, type Env } from './locate.js';
export { loadConfigFile, parseConfigText, type LoadedConfig } from './load.js';
export { resolveDeployEnv } from './deploy-env.js';
