// Config files within budgets (src/sdk/config-parse.ts) and off the event loop (config-parser.ts).
import { CONFIG_FILE_LIMITS, ConfigParseError, parseConfigText } from '../../src/sdk/config-parse';
import { ConfigParser } from '../../src/sdk/config-parser';

const SECRET = 'sekrit-41';
const fails = (text: string, format: 'yaml' | 'json' = 'yaml'): string => {
  try {
    parseConfigText(text, format);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigParseError);
    return (err as Error).message;
  }
  throw new Error('parsed');
};

describe('parseConfigText', () => {
  it('when a file is within its budgets, then it parses as YAML or JSON', () => {
    expect(parseConfigText('a: 1\nb: [x, {c: d}]\nr: &r [1]\ns: *r\n', 'yaml')).toEqual({
      a: 1,
      b: ['x', { c: 'd' }],
      r: [1],
      s: [1],
    });
    expect(parseConfigText('{"a": [1, {"b": null}]}', 'json')).toEqual({ a: [1, { b: null }] });
  });

  it.each([
    ['a duplicate key', `a: 1\n${SECRET}: 2\n${SECRET}: 3\n`, /^not valid YAML: a duplicate key at line 3, column 1$/],
    ['an unclosed quote', `a: "${SECRET}\n`, /^not valid YAML: a missing character .* at line 2, column 1$/],
    ['an alias to nothing', `a: *${SECRET}\n`, /^not valid YAML: an alias to an anchor that is not set before it$/],
    ['bad indentation', `a:\n  - ${SECRET}\n - b\n`, /^not valid YAML: .* at line 3, column \d+$/],
    [
      'a billion laughs',
      'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n',
      /^aliases expand too far \(the limit is 100\)$|^too many aliases/,
    ],
    ['deep nesting', '['.repeat(100_000), /^nested too deeply \(the limit is 64\)$/],
    ['deep block nesting', Array.from({ length: 70 }, (_, i) => `${' '.repeat(i)}k:`).join('\n'), /^nested too deeply/],
    [
      'too many values',
      `[${Array.from({ length: 25_000 }, (_, i) => i).join(',')}]`,
      /^too many values \(the limit is 20000\)$/,
    ],
    [
      'too many bytes',
      `a: "${'x'.repeat(CONFIG_FILE_LIMITS.maxBytes)}"`,
      /^file too large: \d+ bytes \(the limit is 1048576 bytes\)$/,
    ],
  ])('when a YAML file has %s, then it is refused saying what and where, quoting nothing', (_, text, re) => {
    const message = fails(text);
    expect(message).toMatch(re);
    expect(message).not.toContain(SECRET);
  });

  it.each([
    ['a bad token', `{"a": ${SECRET}}`],
    ['a bad string', `{"a": "${SECRET}\u0001"}`],
    ['an early end', `{"a": "${SECRET}"`],
  ])('when a JSON file has %s, then the message quotes nothing of it', (_, text) => {
    const message = fails(text, 'json');
    expect(message).toMatch(/^not valid JSON/);
    expect(message).not.toContain(SECRET);
  });

  it('when JSON nests too deeply, then it is refused', () => {
    expect(fails(`${'['.repeat(65)}${']'.repeat(65)}`, 'json')).toBe('nested too deeply (the limit is 64)');
  });
});

describe('ConfigParser', () => {
  const parser = new ConfigParser({ threads: 1 });
  afterAll(() => parser.close());

  it('when a parse takes longer than its deadline, then it is stopped with a clear error and the next parse works', async () => {
    const big = `{${Array.from({ length: 19_000 }, (_, i) => `k${i}: ${'v'.repeat(20)}`).join(', ')}}`;
    await parser.parse('warm: up', 'yaml', Date.now() + 30_000); // the thread is started
    await expect(parser.parse(big, 'yaml', Date.now() + 20)).rejects.toThrow(/not parsed in time/);
    await expect(parser.parse('a: [1, 2]', 'yaml', Date.now() + 30_000)).resolves.toEqual({ a: [1, 2] });
  });

  it('when a file is invalid, then the worker answers the ConfigParseError message', async () => {
    await expect(parser.parse('a: 1\na: 2\n', 'yaml', Date.now() + 30_000)).rejects.toThrow(
      new ConfigParseError('not valid YAML: a duplicate key at line 2, column 1'),
    );
  });
});
