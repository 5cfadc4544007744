// The login page and its routes. The page is what every UI request without a session gets
// (with 401); POST /login checks the token (constant time) and starts a session; POST /logout
// ends it. A login link carries the token in the fragment (#token=…), which never reaches a
// server log: the page's script moves it into the form, wipes it from the address bar, submits.
import type { FastifyInstance, FastifyReply, FastifyRequest } from '@kora/runtime/http';
import type { LoginAssets } from './assets.js';
import { sameOriginRefusal, type RouteConfig } from './auth.js';
import { html, raw } from './html.js';
import { SESSION_COOKIE, type SessionStore } from './sessions.js';

export interface LoginDeps {
  readonly assets: LoginAssets;
  readonly sessions: SessionStore;
  readonly matches: (token: string | undefined) => boolean;
}

export function loginPage(assets: LoginAssets, message?: string): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · Kora admin</title>
<style>${raw(assets.css)}</style>
</head>
<body class="login">
<main id="main">
<h1>Kora admin</h1>
${message && html`<p class="flash flash-error" role="alert">${message}</p>`}
<form id="login-form" method="post" action="/login">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required spellcheck="false" aria-describedby="token-help">
<p id="token-help" class="help">The value of KORA_ADMIN_TOKEN, or in a dev run the contents of $KORA_HOME/admin_token.</p>
<button type="submit">Log in</button>
</form>
</main>
<script>${raw(assets.script)}</script>
</body>
</html>`.toString();
}

export function sendLoginPage(reply: FastifyReply, assets: LoginAssets, status: number, message?: string): FastifyReply {
  return reply.code(status).header('content-security-policy', assets.csp).type('text/html; charset=utf-8').send(loginPage(assets, message));
}

export function registerLogin(app: FastifyInstance, deps: LoginDeps): void {
  const open: RouteConfig = { auth: 'none' };

  app.get('/login', { config: open }, (request, reply) => {
    if (deps.sessions.touch(request.cookies[SESSION_COOKIE])) return reply.redirect('/', 303);
    return sendLoginPage(reply, deps.assets, 401);
  });

  app.post('/login', { config: open }, (request: FastifyRequest, reply) => {
    const refused = sameOriginRefusal(request);
    if (refused) return sendLoginPage(reply, deps.assets, 403, refused);
    const body = request.body as Record<string, unknown> | undefined;
    const token = body && typeof body === 'object' && typeof body.token === 'string' ? body.token.trim() : undefined;
    if (!deps.matches(token)) return sendLoginPage(reply, deps.assets, 401, 'That is not the admin token.');
    // A new id on every login: a session id planted before login is never the one used after.
    const old = request.cookies[SESSION_COOKIE];
    if (old) deps.sessions.end(old);
    const session = deps.sessions.create();
    reply.setCookie(SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'strict', path: '/', secure: request.protocol === 'https' });
    return reply.redirect('/', 303);
  });

  // Behind the admin auth and the CSRF check (a cross-site page cannot log you out either).
  app.post('/logout', (request, reply) => {
    const session = request.auth?.session;
    if (session) deps.sessions.end(session.id);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });
}
