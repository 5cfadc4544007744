#!/usr/bin/env node
// The `kora` command. Kept as a tiny committed file so npm can link it before the build runs.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
