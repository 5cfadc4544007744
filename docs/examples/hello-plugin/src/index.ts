// hello: the example plugin of Kora's docs/writing-a-plugin.md. It claims the agent's identity,
// observes a hook, and runs a daemon whose periodic task counts greetings in the plugin's store.
import { readFile } from 'node:fs/promises';
import { definePlugin } from '@kora/runtime';
import { z } from 'zod';

// `plugins.config.hello` in kora.yaml. Validated before register() runs; a mistake is a config
// error naming the field (plugins.config.hello.name), and the gateway does not start.
const configSchema = z.strictObject({
  name: z.string().min(1).default('Hello'),
  claimIdentity: z.boolean().default(true),
});

export default definePlugin({
  id: 'hello',
  configSchema,
  async register(ctx) {
    const { name, claimIdentity } = ctx.config;

    // 1. An identity provider. Package data is read relative to this module, never to the
    //    working directory; reading it here means a broken install fails at boot, loudly.
    if (claimIdentity) {
      const template = await readFile(new URL('../data/system-prompt.md', import.meta.url), 'utf8');
      const systemPrompt = template.replaceAll('{{name}}', name);
      ctx.registerIdentityProvider(() => ({ soul: '', systemPrompt, metadata: { agent_name: name, plugin_name: 'hello' } }));
    }

    // 2. A hook: observe the gateway once it is up.
    ctx.on('gateway_started', ({ state }) => {
      ctx.log.info(`${name} sees the gateway ${state}`);
    });

    // 3. A daemon with a periodic task. The gateway starts the daemon, then schedules its task;
    //    the task stops before the daemon does.
    ctx.registerDaemon({
      name: 'hello',
      async start() {
        const greetings = (await ctx.store.get<number>('greetings')) ?? 0;
        ctx.log.info(`${name} starts; ${greetings} greetings so far`);
      },
      tasks: [
        {
          name: 'hello.greet',
          every: '1m',
          async run() {
            const greetings = ((await ctx.store.get<number>('greetings')) ?? 0) + 1;
            await ctx.store.set('greetings', greetings);
            ctx.log.info(`${name} says hello (#${greetings})`);
          },
        },
      ],
    });
  },
});
