// Parsing a YAML/JSON config file a tenant (or an operator) wrote, within budgets: its size, the
// number of aliases, the nesting depth and the number of nodes. Errors say what is wrong and where
// (line, column), never what the file contains: a config may hold secrets, and the error travels
// back to whoever submitted it. Pure and synchronous: the API runs it in a worker thread
// (config-parser.ts) with a time limit; start-up code and the CLI may call it directly.
import { LineCounter, YAMLParseError, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';

export type ConfigFormat = 'yaml' | 'json';

export interface ParseLimits {
  /** UTF-8 bytes of the text. */
  maxBytes: number;
  /** Nesting of mappings/sequences (a flat mapping is depth 1). */
  maxDepth: number;
  /** Mappings, sequences and scalars (keys included) in all. */
  maxNodes: number;
  /** Alias nodes (`*a`) and their expansions. */
  maxAliases: number;
}

/** The budgets of one config file (configPath, paramsFile, a job file, the step templates file). */
export const CONFIG_FILE_LIMITS: ParseLimits = {
  maxBytes: 1024 * 1024,
  maxDepth: 64,
  maxNodes: 20_000,
  maxAliases: 100,
};

/** A file that cannot be parsed within its budgets; the message names no content of the file. */
export class ConfigParseError extends Error {
  override name = 'ConfigParseError';
}

/** The format a file's name implies: `.json` is JSON, anything else YAML. */
export function formatOf(file: string): ConfigFormat {
  return /\.json$/i.test(file) ? 'json' : 'yaml';
}

// yaml's error codes, in words (its messages may quote the file, e.g. an unresolved alias or tag).
const YAML_PROBLEMS: Record<string, string> = {
  ALIAS_PROPS: 'an alias with an anchor or tag',
  BAD_ALIAS: 'a bad alias',
  BAD_COLLECTION_TYPE: 'a collection of the wrong type for its tag',
  BAD_DIRECTIVE: 'a bad directive',
  BAD_DQ_ESCAPE: 'a bad escape in a double-quoted string',
  BAD_INDENT: 'bad indentation',
  BAD_PROP_ORDER: 'anchor and tag in the wrong order',
  BAD_SCALAR_START: 'a plain value starting with a reserved character',
  BLOCK_AS_IMPLICIT_KEY: 'a block collection used as a key',
  BLOCK_IN_FLOW: 'a block collection inside a flow collection',
  DUPLICATE_KEY: 'a duplicate key',
  IMPOSSIBLE: 'an internal parser error',
  KEY_OVER_1024_CHARS: 'an implicit key over 1024 characters',
  MISSING_CHAR: 'a missing character (an unclosed bracket or quote?)',
  MULTILINE_IMPLICIT_KEY: 'an implicit key spanning lines',
  MULTIPLE_ANCHORS: 'several anchors on one node',
  MULTIPLE_DOCS: 'more than one document',
  MULTIPLE_TAGS: 'several tags on one node',
  NON_STRING_KEY: 'a key that is not a string',
  TAB_AS_INDENT: 'a tab used as indentation',
  TAG_RESOLVE_FAILED: 'a value its tag cannot describe',
  UNEXPECTED_TOKEN: 'an unexpected token',
};

function where(lc: LineCounter | undefined, text: string, offset: number | undefined): string {
  if (offset === undefined || offset < 0) return '';
  if (lc) {
    const { line, col } = lc.linePos(offset);
    return ` at line ${line}, column ${col}`;
  }
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return ` at line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

function tooLarge(what: string, limit: number): ConfigParseError {
  return new ConfigParseError(`${what} (the limit is ${limit})`);
}

/** Counts nodes and depth of a parsed JSON value without recursion. */
function checkJsonShape(value: unknown, limits: ParseLimits): void {
  let nodes = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (++nodes > limits.maxNodes) throw tooLarge('too many values', limits.maxNodes);
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > limits.maxDepth) throw tooLarge('nested too deeply', limits.maxDepth);
    if (Array.isArray(v)) for (const x of v) stack.push([x, depth + 1]);
    else
      for (const x of Object.values(v)) {
        nodes++; // the key
        stack.push([x, depth + 1]);
      }
  }
}

function parseJson(text: string, limits: ParseLimits): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text around the error: keep only the position.
    const pos = /at position (\d+)/.exec((err as Error).message)?.[1];
    const end = /Unexpected end of JSON input/.test((err as Error).message);
    throw new ConfigParseError(
      `not valid JSON${end ? ' (it ends too early)' : where(undefined, text, pos === undefined ? undefined : Number(pos))}`,
    );
  }
  checkJsonShape(value, limits);
  return value;
}

function parseYaml(text: string, limits: ParseLimits): unknown {
  const lineCounter = new LineCounter();
  let doc;
  try {
    doc = parseDocument(text, {
      lineCounter,
      // yaml checks unique keys pairwise (quadratic in a mapping's size): checked below, linearly.
      uniqueKeys: false,
      prettyErrors: false,
      strict: true,
    });
  } catch (err) {
    // A flow nesting thousands deep recurses through the composer.
    if (err instanceof RangeError) throw tooLarge('nested too deeply', limits.maxDepth);
    throw err;
  }
  const first = doc.errors[0];
  if (first) {
    const problem = YAML_PROBLEMS[first.code] ?? first.code.toLowerCase().replace(/_/g, ' ');
    throw new ConfigParseError(
      `not valid YAML: ${problem}${first instanceof YAMLParseError ? where(lineCounter, text, first.pos[0]) : ''}`,
    );
  }
  let nodes = 0;
  let aliases = 0;
  const stack: [unknown, number][] = [[doc.contents, 0]];
  while (stack.length) {
    const [n, d] = stack.pop()!;
    if (n === null || n === undefined) continue;
    if (++nodes > limits.maxNodes) throw tooLarge('too many values', limits.maxNodes);
    if (isAlias(n)) {
      if (++aliases > limits.maxAliases) throw tooLarge('too many aliases', limits.maxAliases);
      continue;
    }
    if (isScalar(n)) continue;
    if (d + 1 > limits.maxDepth) throw tooLarge('nested too deeply', limits.maxDepth);
    if (isSeq(n)) for (const x of n.items) stack.push([x, d + 1]);
    else if (isMap(n)) {
      const seen = new Set<string>();
      for (const p of n.items) {
        if (!isPair(p)) continue;
        if (isScalar(p.key)) {
          const k = `${typeof p.key.value}:${String(p.key.value)}`;
          if (seen.has(k))
            throw new ConfigParseError(`not valid YAML: a duplicate key${where(lineCounter, text, p.key.range?.[0])}`);
          seen.add(k);
        }
        stack.push([p.key, d + 1], [p.value, d + 1]);
      }
    }
  }
  try {
    return doc.toJS({ maxAliasCount: limits.maxAliases });
  } catch (err) {
    // An alias to no anchor, expansion past maxAliasCount, a merge key on something that is not a mapping.
    const m = (err as Error).message;
    throw /unresolved alias/i.test(m)
      ? new ConfigParseError('not valid YAML: an alias to an anchor that is not set before it')
      : /alias/i.test(m)
        ? tooLarge('aliases expand too far', limits.maxAliases)
        : new ConfigParseError('not valid YAML');
  }
}

/** Parses a config text within `limits`; throws ConfigParseError (no file content in its message). */
export function parseConfigText(text: string, format: ConfigFormat, limits: ParseLimits = CONFIG_FILE_LIMITS): unknown {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes)
    throw new ConfigParseError(`file too large: ${bytes} bytes (the limit is ${limits.maxBytes} bytes)`);
  return format === 'json' ? parseJson(text, limits) : parseYaml(text, limits);
}
