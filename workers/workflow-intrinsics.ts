// Workflow code reads JavaScript's built-ins (Object, Array, Map, JSON, …) as closure variables
// instead of as globals.
//
// The SDK runs workflows in a node:vm context, whose global object is backed by interceptors: every
// read of a global name from code inside it (`Object.keys`, `Array.isArray`, `new Map`) is a call
// out of V8's fast path into Node's contextify layer. zod makes one per value it parses (it checks
// every field's result with `instanceof Promise`), so parsing a 1,000-node spec took ~13 ms inside
// a vm context against ~4.6 ms for the same code outside it (bench/README.md §1). Wrapping the
// bundle in a function whose parameters are these built-ins turns each read into a closure-slot
// load: 3.7 ms in the same context.
//
// Only intrinsics the SDK never replaces are bound: its deterministic overrides (Date, setTimeout,
// clearTimeout, WeakRef, FinalizationRegistry; Math.random is a property of the shared Math) stay
// global reads, so they still see the running workflow's versions. A bound name is the very object
// the global holds (the SDK deep-freezes the context's pristine globals and gives every workflow
// the same ones), so workflow behaviour, and what recorded histories replay to, cannot change.
// webpack is the SDK bundler's own (its BundleOptions types name it); only its types are imported.
import type { Compiler as WebpackCompiler, Configuration as WebpackConfig } from 'webpack';

/** The built-ins bound as parameters of the bundle's wrapper (never one the SDK overrides). */
export const BOUND_INTRINSICS = [
  'Object',
  'Array',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'Symbol',
  'Number',
  'String',
  'Boolean',
  'BigInt',
  'RegExp',
  'Reflect',
  'Proxy',
  'Promise',
  'JSON',
  'Math',
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'Uint8Array',
  'ArrayBuffer',
  'DataView',
  'parseInt',
  'parseFloat',
  'isFinite',
  'isNaN',
  'encodeURIComponent',
  'decodeURIComponent',
] as const;

/** Names the SDK replaces per workflow or per context: binding one would freeze its pristine value. */
export const SDK_OVERRIDDEN_GLOBALS = [
  'Date',
  'setTimeout',
  'clearTimeout',
  'WeakRef',
  'FinalizationRegistry',
] as const;

/** The SDK's bundler names its library this; the wrapper must publish it as a global again. */
const LIBRARY = '__TEMPORAL__';
const PLUGIN = 'trainyard-bind-intrinsics';

// Head and tail sit on the bundle's first and last lines, so no line of the code moves (source
// maps are built after this stage and account for the columns).
const NAMES = BOUND_INTRINSICS.join(',');
export const INTRINSICS_HEAD = `(function (${NAMES}) {`;
export const INTRINSICS_TAIL = `\nglobalThis.${LIBRARY} = ${LIBRARY};\n}).call(this, ${NAMES});\n`;

class BindIntrinsicsPlugin {
  apply(compiler: WebpackCompiler): void {
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap(PLUGIN, (compilation) => {
      compilation.hooks.processAssets.tap({ name: PLUGIN, stage: Compilation.PROCESS_ASSETS_STAGE_ADDITIONS }, () => {
        for (const chunk of compilation.chunks)
          for (const file of chunk.files)
            if (file.endsWith('.js'))
              compilation.updateAsset(file, (old) => new sources.ConcatSource(INTRINSICS_HEAD, old, INTRINSICS_TAIL));
      });
    });
  }
}

/**
 * A webpackConfigHook that wraps the workflow bundle so its code reads BOUND_INTRINSICS as closure
 * variables. Refuses a config whose library is not the SDK's `__TEMPORAL__` global (the wrapper
 * re-publishes exactly that name), so an SDK upgrade that changes it fails the build loudly.
 */
export function bindIntrinsics(config: WebpackConfig): WebpackConfig {
  const library = config.output?.library;
  if (library !== LIBRARY)
    throw new Error(`workflow bundle: expected the SDK bundler's library ${LIBRARY}, got ${JSON.stringify(library)}`);
  return { ...config, plugins: [...(config.plugins ?? []), new BindIntrinsicsPlugin()] };
}
