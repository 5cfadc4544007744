// The UI's files, shipped in the package's assets/ folder (never from a CDN: the machine may be
// offline). Pages link them under /assets/; the login page, which must render for a visitor
// who is not logged in yet, carries its stylesheet and script inline, allowed by their hashes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** plugins/web/assets, from src/ (tests) and dist/ (the package) alike. */
export const ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));

export interface LoginAssets {
  readonly css: string;
  readonly script: string;
  /** The Content-Security-Policy of the login page: its inline style and script by hash, nothing else. */
  readonly csp: string;
}

export function loadLoginAssets(dir = ASSETS_DIR): LoginAssets {
  const css = readFileSync(`${dir}/web.css`, 'utf8');
  const script = readFileSync(`${dir}/login.js`, 'utf8');
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
  return {
    css,
    script,
    csp: `default-src 'none'; style-src ${hash(css)}; script-src ${hash(script)}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  };
}

/** Every page but the login page: the package's files only, no inline script or style. */
export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
