// zod as the runtime builds its schemas with and hands it to plugins (`z` of `@kora/runtime`),
// configured before any schema is built: every module of the runtime that builds one imports
// `z` from here (eslint keeps it so). `jitless`: zod compiles a parser for each object schema with
// `new Function` at its first parse, code no V8 cache holds, ≈ 2 ms of a boot for the config and
// the plugins' schemas, each parsed about once; without it an object parses a few µs slower
// (decision 0176). zod keeps its settings on globalThis: another copy of zod 4 in the process
// (a plugin's own) shares them.
import * as z from 'zod';

z.config({ jitless: true });

export { z };
