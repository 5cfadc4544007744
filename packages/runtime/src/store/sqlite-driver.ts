// better-sqlite3 as the store opens it. Its JavaScript is bundled into the runtime's script
// (scripts/bundle.mjs, decision 0176), so the code cache holds it: required from node_modules,
// Node 20 resolved, read and compiled its fourteen files anew at every start (≈ 6 ms of a boot),
// then the `bindings` package probed a dozen paths for the addon. The bundled copy is handed
// the installed package's addon by path. Where the installed package is another version than
// the one bundled (an override, a later patch release), or its addon is not where a build puts
// it, the installed package's own JavaScript is used, which finds its addon itself: JavaScript
// and addon always come from the same release.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

/** Set by scripts/bundle.mjs to the version of better-sqlite3 bundled; absent from the sources. */
declare const __KORA_BUNDLED_BETTER_SQLITE3__: string | undefined;

export type SqliteDriver = { Database: typeof Database; nativeBinding: string | undefined; source: 'bundled' | 'package' };

let chosen: SqliteDriver | undefined;

/** The driver to open databases with: chosen once per process. */
export function sqliteDriver(): SqliteDriver {
  chosen ??= choose();
  return chosen;
}

function choose(): SqliteDriver {
  const bundled = typeof __KORA_BUNDLED_BETTER_SQLITE3__ === 'string' ? __KORA_BUNDLED_BETTER_SQLITE3__ : undefined;
  // From the sources (tests), `Database` is the installed package itself.
  if (bundled === undefined) return { Database, nativeBinding: undefined, source: 'package' };
  const require = createRequire(import.meta.url);
  try {
    const dir = dirname(require.resolve('better-sqlite3/package.json'));
    const installed = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
    const addon = join(dir, 'build', 'Release', 'better_sqlite3.node');
    if (installed === bundled && existsSync(addon)) return { Database, nativeBinding: addon, source: 'bundled' };
  } catch {
    // Not resolvable from here: the package's own require below says why.
  }
  return { Database: require('better-sqlite3') as typeof Database, nativeBinding: undefined, source: 'package' };
}

/** A database connection: the file, or `:memory:`. */
export function openSqlite(file: string): Database.Database {
  const { Database: Driver, nativeBinding } = sqliteDriver();
  return nativeBinding === undefined ? new Driver(file) : new Driver(file, { nativeBinding });
}
