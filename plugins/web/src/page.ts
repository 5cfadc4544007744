// The `web.page` extension point: how a plugin adds a page to the admin UI. The `web` daemon
// mounts every contribution at start and lists it in the navigation; the page renders an HTML
// fragment (build it with `html`, which escapes what it interpolates) inside the UI's layout.
import type { SafeHtml } from './html.js';

export const PAGE_POINT = 'web.page';

export interface WebPageRequest {
  /** The path as requested, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  /** Who is logged in: `admin`. */
  readonly principal: string;
  /**
   * The session's CSRF token: put it in a hidden `_csrf` field of every form that posts (or send
   * it as an `X-CSRF-Token` header). Empty for a request made with the bearer token.
   */
  readonly csrfToken: string;
}

export interface WebPage {
  /** Absolute, without parameters, e.g. `/probes`. */
  readonly path: string;
  /** In the navigation and the page's heading. */
  readonly title: string;
  /** The page's content (an HTML fragment). A thrown error shows an error page and is logged with the plugin. */
  render(request: WebPageRequest): Promise<string | SafeHtml> | string | SafeHtml;
}

declare module '@kora/runtime' {
  interface ContributionMap {
    'web.page': WebPage;
  }
}
