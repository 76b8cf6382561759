// Worker thread that parses config files for the API (config-parser.ts): a file that is slow to
// parse, or needs too much memory, costs this thread (which is then terminated), never the API's
// event loop. The parsing itself is config-parse.ts, loaded through tsx (no build step).
'use strict';
const { parentPort } = require('node:worker_threads');
require('tsx/cjs/api').register();
const { parseConfigText, ConfigParseError } = require('./config-parse.ts');

parentPort.on('message', (m) => {
  try {
    parentPort.postMessage({ id: m.id, ok: true, value: parseConfigText(m.text, m.format, m.limits) });
  } catch (err) {
    const known = err instanceof ConfigParseError;
    parentPort.postMessage({ id: m.id, ok: false, known, error: known ? err.message : 'the parser failed' });
  }
});
parentPort.postMessage({ ready: true });
