// The page frame every UI page shares: header with the navigation and the logout form, a main
// landmark with the heading, a status line for what the last action did.
import { html, raw, SafeHtml } from './html.js';

export interface NavItem {
  readonly path: string;
  readonly title: string;
}

export interface LayoutInput {
  readonly title: string;
  readonly path: string;
  readonly nav: readonly NavItem[];
  readonly csrf: string;
  readonly content: SafeHtml | string;
  readonly flash?: { readonly kind: 'ok' | 'error'; readonly text: string } | undefined;
}

export function layout(input: LayoutInput): string {
  const links = input.nav.map(
    (item) => html`<li><a href="${item.path}"${item.path === input.path ? html` aria-current="page"` : ''}>${item.title}</a></li>`,
  );
  const flash = input.flash && html`<p class="flash flash-${input.flash.kind}" role="${input.flash.kind === 'error' ? 'alert' : 'status'}">${input.flash.text}</p>`;
  // A page's fragment is markup its author built (with `html`, which escaped the data in it).
  const content = input.content instanceof SafeHtml ? input.content : raw(String(input.content));
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · Kora admin</title>
<link rel="stylesheet" href="/assets/web.css">
<script src="/assets/web.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<span class="brand">Kora admin</span>
<nav aria-label="Main"><ul>${links}</ul></nav>
${input.csrf && html`<form class="logout" method="post" action="/logout"><input type="hidden" name="_csrf" value="${input.csrf}"><button type="submit">Log out</button></form>`}
</header>
<main id="main" tabindex="-1">
<h1>${input.title}</h1>
${flash}
${content}
</main>
</body>
</html>`.toString();
}

