#!/usr/bin/env node
// The `kora` command. Kept as a tiny committed file so npm can link it before the build runs.
import module from 'node:module';

// Node ≥ 22.1 keeps V8's compiled code of the bundle on disk, so later starts skip most of
// parsing and compiling it. It must be on before the CLI is imported, hence the dynamic import.
// Node 20 has no compile cache: nothing happens there.
module.enableCompileCache?.();

const { main } = await import('../dist/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
