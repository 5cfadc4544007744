// The identity as system blocks (DESIGN §4): the system prompt, then the persona (soul) when it
// is not blank. One prompt-cache breakpoint on the last of them caches both (the API caches the
// whole prefix up to a marked block), leaving the other three breakpoints to the hooks.
import type { ResolvedIdentity, TextBlock } from '@kora/runtime';

export function systemBlocks(identity: ResolvedIdentity): TextBlock[] {
  const texts = [identity.spec.systemPrompt, identity.spec.soul].filter((t) => t.trim() !== '');
  return texts.map((text, i) => (i === texts.length - 1 ? { type: 'text', text, cache_control: { type: 'ephemeral' } } : { type: 'text', text }));
}
