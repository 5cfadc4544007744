#!/usr/bin/env node
// The `kora` command. Kept as a tiny committed file so npm can link it before the build runs.
// CommonJS (bin/package.json), as the loader it requires: a boot imports no ES module, so Node
// never sets up its ES module loader for one (decision 0177).
// Signals are listened for before the CLI loads, so a SIGTERM in the first milliseconds is
// remembered and honoured as a clean stop rather than killing the process mid-boot.
'use strict';
const nodeModule = require('node:module');

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const received = [];
const onEarlySignal = (sig) => received.push(sig);
for (const sig of STOP_SIGNALS) process.on(sig, onEarlySignal);
const early = {
  signals: received,
  release: () => {
    for (const sig of STOP_SIGNALS) process.off(sig, onEarlySignal);
  },
};

// Node ≥ 22.1 keeps V8's compiled code of the bundle on disk, so later starts skip most of
// parsing and compiling it. It must be on before the CLI is loaded.
// Node 20 has no compile cache: nothing happens there.
nodeModule.enableCompileCache?.();

require('../dist/load.cjs')
  .entry('cli/main.js')
  .then(({ main }) => main(process.argv.slice(2), undefined, undefined, undefined, early))
  .then(
    // An explicit exit: a handle a plugin left open never keeps a stopped gateway's process alive.
    (code) => process.exit(typeof code === 'number' ? code : 0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
