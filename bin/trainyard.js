#!/usr/bin/env node
// The `trainyard` CLI: loads the TypeScript CLI through tsx's CommonJS register API (no build step).
'use strict';
require('tsx/cjs/api').register();
// Exit once stdout has been written out: into a pipe, process.exit() drops what is still buffered
// (a long `trainyard nodes --all` lost everything after its first 64 KiB or so).
const exitAfterOutput = (code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
require('../src/cli/main.ts')
  .main(process.argv)
  .then(exitAfterOutput)
  .catch((err) => {
    console.error(`trainyard: ${err && err.message ? err.message : String(err)}`);
    exitAfterOutput(1);
  });
