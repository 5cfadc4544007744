// The plugin API version plugins declare a `hostApi` range against. It moves with the public
// API (`definePlugin`, `PluginContext`, hooks), not with the package version.
export const HOST_API_VERSION = '1.1.0';
