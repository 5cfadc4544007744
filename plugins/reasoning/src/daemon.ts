// The `reasoning_engine` daemon (fatal: DESIGN §8). Its start reads the credential, takes the
// identity the gateway resolved, builds the client (which imports the SDK at its first call) and
// provides the `engine` service; its stop cancels every reply in flight. Nothing here runs in a gateway that never starts the daemon.
import { IdentityError, type DaemonSpec, type PluginContext } from '@kora/runtime';
import { createMessagesClient } from './client.js';
import type { EngineSettings } from './config.js';
import { baseUrl, readCredential } from './credentials.js';
import { ReasoningEngine } from './engine.js';
import { ConversationStore } from './history.js';
import { systemBlocks } from './system.js';
import { UsageRecorder } from './usage.js';

export const DAEMON_NAME = 'reasoning_engine';

export function reasoningDaemon(ctx: PluginContext<unknown>, settings: EngineSettings): DaemonSpec {
  let engine: ReasoningEngine | undefined;
  return {
    name: DAEMON_NAME,
    fatalOnStartupFailure: true,
    async start(context) {
      const credential = readCredential(ctx.env);
      const identity = ctx.gateway.identity();
      if (!identity) {
        throw new IdentityError('The reasoning engine has no identity to speak with: the gateway resolved none (see `kora identity`). Enable a plugin that provides one (e.g. kora), or set KORA_SYSTEM_PROMPT_PATH.');
      }
      const url = baseUrl(ctx.env, settings.baseUrl);
      const client = createMessagesClient({ credential, baseUrl: url, timeoutMs: settings.timeoutMs, retries: settings.retries, oauthBeta: settings.oauthBeta, log: context.log });
      engine = new ReasoningEngine({
        client,
        hooks: ctx.hooks,
        tools: ctx.tools,
        settings,
        system: systemBlocks(identity),
        usage: new UsageRecorder(ctx.db, settings.prices, context.log),
        history: new ConversationStore(ctx.db, settings.history),
        clock: ctx.clock,
        log: context.log,
      });
      context.services.provide('engine', engine);
      // The credential's variable is named, never its value.
      context.log.info(
        { credential: credential.from, baseUrl: new URL(url).origin, models: settings.models, agent: identity.agentName },
        `reasoning engine ready: ${identity.agentName}, models ${settings.models.cheap} / ${settings.models.strong}, credential from ${credential.from}`,
      );
    },
    stop() {
      engine?.close();
      engine = undefined;
    },
  };
}
