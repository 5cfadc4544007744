// Starting the web plugin in the in-process harness on a free port, and speaking HTTP to it:
// bearer requests, a logged-in browser-like client (cookie + CSRF token), raw fetches.
import { createPluginHarness, ManualClock, type HarnessedPlugin, type PluginHarness, type PluginHarnessOptions } from '@kora/runtime/testing';
import { expect } from 'vitest';
import plugin from './index.js';

export const TOKEN = 'test-admin-token-0123456789abcdef';
export const NOW_MS = Date.UTC(2026, 0, 1, 12);

export interface Admin {
  readonly harness: PluginHarness;
  readonly base: string;
  /** A request with `Authorization: Bearer TOKEN` (unless headers say otherwise). The body is parsed JSON when it is JSON (tests read into it freely). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  api(path: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }>;
}

const open: PluginHarness[] = [];

export async function closeAll(): Promise<void> {
  for (const h of open.splice(0)) await h.close();
}

export async function startAdmin(options: PluginHarnessOptions & { plugins?: HarnessedPlugin[] } = {}): Promise<Admin> {
  const { plugins = [], ...rest } = options;
  const harness = await createPluginHarness([...plugins, plugin], {
    clock: new ManualClock(NOW_MS),
    ...rest,
    config: { web: { host: '127.0.0.1', port: 0 }, ...rest.config },
    env: { KORA_ADMIN_TOKEN: TOKEN, ...rest.env },
  });
  open.push(harness);
  await harness.startDaemons();
  const web = harness.daemons().find((d) => d.name === 'web');
  expect(web, JSON.stringify(harness.daemons())).toMatchObject({ state: 'running' });
  const url = web!.endpoints[0]!.url;
  const base = url.replace(/\/login$/, '');
  return {
    harness,
    base,
    async api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${TOKEN}`);
      if (init.body !== undefined && typeof init.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
      const response = await fetch(base + path, { ...init, headers, redirect: 'manual' });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body, headers: response.headers };
    },
  };
}

export interface Browser {
  readonly cookie: string;
  readonly csrf: string;
  get(path: string): Promise<{ status: number; text: string; headers: Headers }>;
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<{ status: number; text: string; headers: Headers }>;
}

/** Log in through POST /login as a browser would, and keep the session cookie. */
export async function login(admin: Admin): Promise<Browser> {
  const response = await fetch(`${admin.base}/login`, { method: 'POST', body: new URLSearchParams({ token: TOKEN }), redirect: 'manual', headers: { origin: admin.base } });
  expect(response.status).toBe(303);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';', 1)[0]!;
  const get = async (path: string) => {
    const r = await fetch(admin.base + path, { headers: { cookie }, redirect: 'manual' });
    return { status: r.status, text: await r.text(), headers: r.headers };
  };
  const page = await get('/');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  expect(csrf).not.toBe('');
  return {
    cookie,
    csrf,
    get,
    async post(path, form, headers = {}) {
      const r = await fetch(admin.base + path, { method: 'POST', body: new URLSearchParams(form), headers: { cookie, origin: admin.base, ...headers }, redirect: 'manual' });
      return { status: r.status, text: await r.text(), headers: r.headers };
    },
  };
}
