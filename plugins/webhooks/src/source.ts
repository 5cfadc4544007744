// The `webhooks.source` extension point: how a plugin adds a webhook sender to the public
// receiver. The `webhooks` daemon mounts every contribution at start, so a new sender (GitHub,
// Stripe…) is a contribution from its own plugin, with no change here.
import type { InboxMessage } from '@kora/runtime';

/** What a source sees of a request: the raw body exactly as sent (signatures cover its bytes). */
export interface WebhookRequest {
  readonly rawBody: Buffer;
  /** Lower-case names, as Node gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The gateway's clock, in ms since the epoch. */
  readonly now: number;
}

/** Why a request is refused: `reason` is the whole reply body (`{"error": reason}`). */
export interface WebhookRejection {
  readonly reason: string;
  readonly status: number;
}

/** A verified request is either work for the inbox (kept before the 200) or answered at once. */
export type WebhookOutcome = { readonly item: InboxMessage } | { readonly reply: Record<string, unknown> } | WebhookRejection;

export interface WebhookSource {
  /** Mounted as `POST /api/webhooks/<path>`: lower-case words joined by `/`, e.g. `slack/events`. */
  readonly path: string;
  /** Headers whose values carry a signature: audited truncated, never whole. */
  readonly signatureHeaders?: readonly string[];
  /** Further headers worth keeping when a request is rejected (besides content-type, content-length, user-agent). */
  readonly auditHeaders?: readonly string[];
  /** Check the request's authenticity on its raw bytes: null when it is genuine. */
  verify(request: WebhookRequest): WebhookRejection | null;
  /** Turn a verified request's parsed JSON body into its outcome. */
  toOutcome(body: unknown, request: WebhookRequest): WebhookOutcome;
}

export const SOURCE_POINT = 'webhooks.source';

declare module '@kora/runtime' {
  interface ContributionMap {
    'webhooks.source': WebhookSource;
  }
}

/** A header's single value (the first, when a sender repeats it). */
export function headerValue(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function isRejection(outcome: WebhookOutcome): outcome is WebhookRejection {
  return 'reason' in outcome;
}
