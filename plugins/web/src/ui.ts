// The UI's routes: its own pages, the pages other plugins contribute (`web.page`), and the
// form actions (run a task now, replay or discard a dead letter), each answered with a 303 back
// to its page and a line saying what happened. Forms post with the session cookie and the
// session's CSRF token (checked in the server's preHandler).
import type { FastifyInstance, FastifyReply, FastifyRequest } from '@kora/runtime/http';
import { KoraError, type Clock, type Contribution, type GatewayOperations, type GatewayView, type Logger } from '@kora/runtime';
import { ACTOR, deadLetterId } from './api.js';
import { BadRequest } from './errors.js';
import { routeKey, RouteMountError } from './contributed-routes.js';
import { layout, type LayoutInput, type NavItem } from './layout.js';
import { auditLogPage, daemonsPage, fleetPage, inboxPage, overviewPage, rejectedPage, tasksPage, type PageInput } from './pages.js';
import type { WebPage, WebPageRequest } from './page.js';
import type { SafeHtml } from './html.js';
import { single } from './views.js';

export interface UiDeps {
  readonly gateway: GatewayView;
  readonly operations: GatewayOperations;
  readonly clock: Clock;
  readonly log: Logger;
  readonly pages: readonly Contribution<'web.page'>[];
}

type Render = (input: PageInput, request: FastifyRequest) => Promise<SafeHtml | string> | SafeHtml | string;

const PAGE_PATH_RE = /^(?:\/[A-Za-z0-9._~-]+)+$/;
/** How long "Run now" waits for the run to end before showing the page (it goes on after). */
const RUN_WAIT_MS = 2000;

export function registerUi(app: FastifyInstance, deps: UiDeps, taken: Map<string, string>): void {
  const own: (NavItem & { render: Render })[] = [
    { path: '/', title: 'Overview', render: () => overviewPage(deps) },
    { path: '/daemons', title: 'Daemons', render: () => daemonsPage(deps) },
    { path: '/tasks', title: 'Tasks', render: (input) => tasksPage(deps, input) },
    { path: '/audit', title: 'Audit log', render: (input) => auditLogPage(deps, input) },
    { path: '/inbox', title: 'Dead letters', render: (input) => inboxPage(deps, input) },
    { path: '/fleet', title: 'Fleet', render: () => fleetPage(deps) },
    { path: '/webhooks/rejected', title: 'Rejected webhooks', render: () => rejectedPage(deps) },
  ];
  const contributed = planPages(deps.pages, taken, own);
  const nav: NavItem[] = [...own, ...contributed].map(({ path, title }) => ({ path, title }));

  const show = (page: NavItem & { render: Render; pluginId?: string }) =>
    async function showPage(request: FastifyRequest, reply: FastifyReply) {
      const csrf = request.auth?.session?.csrf ?? '';
      const query = request.query as Record<string, unknown>;
      let content: SafeHtml | string;
      try {
        content = await page.render({ query, csrf }, request);
      } catch (err) {
        if (err instanceof BadRequest) return sendPage(reply, 400, { title: page.title, path: page.path, nav, csrf, content: '', flash: { kind: 'error', text: err.message } });
        deps.log.error({ err, page: page.path, ...(page.pluginId ? { plugin: page.pluginId } : {}) }, `page ${page.path}${page.pluginId ? ` of plugin "${page.pluginId}"` : ''} failed to render`);
        return sendPage(reply, 500, { title: page.title, path: page.path, nav, csrf, content: '', flash: { kind: 'error', text: 'This page failed to render; the gateway log says why.' } });
      }
      return sendPage(reply, 200, { title: page.title, path: page.path, nav, csrf, content, flash: flashOf(query) });
    };
  for (const page of [...own, ...contributed]) app.get(page.path, show(page));

  app.post<{ Params: { name: string } }>('/tasks/:name/run', async (request, reply) => {
    const name = request.params.name;
    try {
      const run = await deps.operations.runTask(name, ACTOR);
      await waitAtMost(run.done, RUN_WAIT_MS, deps.clock);
      return back(reply, '/tasks', { done: 'ran', task: name });
    } catch (err) {
      return back(reply, '/tasks', { error: codeOf(err), task: name });
    }
  });
  for (const action of ['replay', 'discard'] as const) {
    app.post<{ Params: { id: string } }>(`/inbox/dead/:id/${action}`, async (request, reply) => {
      const id = deadLetterId(request.params.id);
      try {
        const done = await deps.operations.inbox[action](id, ACTOR);
        return back(reply, '/inbox', done ? { done: action === 'replay' ? 'replayed' : 'discarded', id: String(id) } : { error: 'not_dead', id: String(id) });
      } catch (err) {
        return back(reply, '/inbox', { error: codeOf(err), id: String(id) });
      }
    });
  }
}

function planPages(pages: readonly Contribution<'web.page'>[], taken: Map<string, string>, own: readonly NavItem[]): (NavItem & { render: Render; pluginId: string })[] {
  for (const page of own) taken.set(routeKey('GET', page.path), 'the admin UI');
  return pages.map(({ pluginId, value }) => {
    const page = value as WebPage;
    const what = `the web.page ${JSON.stringify(page?.path)} of plugin "${pluginId}"`;
    if (typeof page?.path !== 'string' || !PAGE_PATH_RE.test(page.path)) throw new RouteMountError(`${what} needs an absolute path of plain segments (e.g. /probes)`);
    if (page.path.startsWith('/api/') || page.path.startsWith('/assets/')) throw new RouteMountError(`${what} is under ${page.path.startsWith('/api/') ? '/api/' : '/assets/'}, which the admin server keeps for itself`);
    if (typeof page.title !== 'string' || page.title.trim() === '') throw new RouteMountError(`${what} needs a title`);
    if (typeof page.render !== 'function') throw new RouteMountError(`${what} has no render() function`);
    const key = routeKey('GET', page.path);
    const owner = taken.get(key);
    if (owner) throw new RouteMountError(`${what} claims GET ${page.path}, already served by ${owner}`);
    taken.set(key, `plugin "${pluginId}"`);
    const render: Render = (input, request) => {
      const pageRequest: WebPageRequest = { path: request.url.split('?', 1)[0] ?? request.url, query: input.query as WebPageRequest['query'], principal: request.auth?.principal ?? '', csrfToken: input.csrf };
      return page.render(pageRequest);
    };
    return { path: page.path, title: page.title, render, pluginId };
  });
}

export function sendPage(reply: FastifyReply, status: number, input: LayoutInput): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(layout(input));
}

function back(reply: FastifyReply, path: string, params: Record<string, string>): FastifyReply {
  return reply.redirect(`${path}?${new URLSearchParams(params).toString()}`, 303);
}

function codeOf(err: unknown): string {
  if (err instanceof KoraError) return err.code;
  return 'failed';
}

/** The line shown after an action: from a fixed list, never text taken from the URL. */
const FLASH: Record<string, (q: { task: string; id: string }) => string> = {
  ran: (q) => `Task ${q.task} ran now (manual run); its row is in the chart below.`,
  replayed: (q) => `Dead letter ${q.id} is back in its topic; its consumer will take it.`,
  discarded: (q) => `Dead letter ${q.id} was discarded.`,
  KORA_ERR_TASK_UNKNOWN: (q) => `No running daemon schedules a task ${q.task}.`,
  KORA_ERR_TASK_RUNNING: (q) => `Task ${q.task} is running already; a task never runs twice at once.`,
  KORA_ERR_GATEWAY_STOPPING: () => 'The gateway is stopping: nothing new runs.',
  not_dead: (q) => `Dead letter ${q.id} is not dead any more (replayed or discarded already).`,
  failed: () => 'That did not work; the gateway log says why.',
};

function flashOf(query: Record<string, unknown>): LayoutInput['flash'] {
  const done = single(query.done);
  const error = single(query.error);
  const params = { task: single(query.task) ?? '', id: single(query.id) ?? '' };
  if (done && FLASH[done]) return { kind: 'ok', text: FLASH[done](params) };
  if (error) return { kind: 'error', text: (FLASH[error] ?? FLASH.failed!)(params) };
  return undefined;
}

async function waitAtMost(done: Promise<unknown>, ms: number, clock: Clock): Promise<void> {
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  await Promise.race([done.then(() => undefined, () => undefined), new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, ms)))]);
  if (timer) clock.clearTimeout(timer);
}
