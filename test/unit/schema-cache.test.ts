// Every module-level zod schema the workflow bundle can import is built through cachedSchema, so a
// new job reuses the schemas of the jobs before it instead of building its own (src/domain/schema-cache.ts).
// A schema declared without it still works, but makes every job pay for its construction again.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { z } from 'zod';
import { cachedSchema } from '../../src/domain/schema-cache';

const ROOT = path.resolve(__dirname, '..', '..');
const FILES = ['src/domain', 'workflows'].flatMap((dir) =>
  fs
    .readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${dir}/${f}`),
);

/** The identifier a call chain starts from (`z` in `z.object({}).strict()`) and how many calls it makes. */
function chainRoot(e: ts.Expression): { name: string; calls: number } | null {
  let calls = 0;
  for (;;) {
    if (ts.isCallExpression(e)) {
      calls++;
      e = e.expression;
    } else if (ts.isPropertyAccessExpression(e) || ts.isParenthesizedExpression(e)) e = e.expression;
    else if (ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
    else break;
  }
  return ts.isIdentifier(e) ? { name: e.text, calls } : null;
}

interface Decl {
  file: string;
  name: string;
  init: ts.Expression;
}

function moduleConsts(): Decl[] {
  const out: Decl[] = [];
  for (const file of FILES) {
    const src = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
    for (const st of src.statements) {
      if (!ts.isVariableStatement(st) || !(st.declarationList.flags & ts.NodeFlags.Const)) continue;
      for (const d of st.declarationList.declarations)
        if (d.initializer && ts.isIdentifier(d.name)) out.push({ file, name: d.name.text, init: d.initializer });
    }
  }
  return out;
}

describe('schema cache', () => {
  const decls = moduleConsts();
  const cached = decls.filter((d) => chainRoot(d.init)?.name === 'cachedSchema');

  test('every module-level schema in src/domain and workflows/ is declared through cachedSchema', () => {
    // A schema is a chain of calls starting at `z` or at another schema (`Base.extend({…})`).
    const schemas = new Set(['z', ...cached.map((d) => d.name)]);
    const unwrapped: string[] = [];
    for (let grew = true; grew;) {
      grew = false;
      for (const d of decls) {
        const root = chainRoot(d.init);
        if (!root || root.calls === 0 || !schemas.has(root.name) || schemas.has(d.name)) continue;
        schemas.add(d.name);
        unwrapped.push(`${d.file}: ${d.name}`);
        grew = true;
      }
    }
    expect(cached.length).toBeGreaterThan(100);
    expect(unwrapped).toEqual([]);
  });

  test("each key is '<file>#<name>' of its own declaration, so no two schemas share one", () => {
    const wrong = cached
      .map((d) => {
        const call = d.init as ts.CallExpression;
        const key = call.arguments[0];
        const want = `${d.file.replace(/\.ts$/, '')}#${d.name}`;
        return key && ts.isStringLiteral(key) && key.text === want ? null : `${d.file}: ${d.name}`;
      })
      .filter(Boolean);
    expect(wrong).toEqual([]);
  });

  test('a key is built once and the same schema comes back after', () => {
    let builds = 0;
    const build = () => {
      builds++;
      return z.object({ a: z.string() });
    };
    const first = cachedSchema('test/unit/schema-cache#first', build);
    const again = cachedSchema('test/unit/schema-cache#first', build);
    expect(again).toBe(first);
    expect(builds).toBe(1);
    expect(again.safeParse({ a: 1 }).success).toBe(false);
  });
});
