#!/usr/bin/env node
// The `trainyard` CLI: loads the TypeScript CLI through tsx's CommonJS register API (no build step).
'use strict';
require('tsx/cjs/api').register();
require('../src/cli/main.ts')
  .main(process.argv)
  .then((code) => process.exit(code))
  .catch((err) => {
    console.error(`trainyard: ${err && err.message ? err.message : String(err)}`);
    process.exit(1);
  });
