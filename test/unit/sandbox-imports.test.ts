// Workflow code and the domain modules it imports must stay deterministic and sandbox-safe: no Node
// built-ins, no I/O libraries, no activity/worker/client packages, nothing from outside the
// sandboxed folders. The eslint rule (eslint.config.mjs, sandboxRestrictedImports) catches Node
// built-ins and Temporal's non-workflow packages as you type; this test reads every import the
// TypeScript parser sees — side-effect imports (`import 'x'`), re-exports, `import()` and
// `require()` included — and also refuses other packages, relative imports that leave the sandbox,
// Math.random and process.env.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '..', '..');
const SANDBOXED = ['workflows', 'src/domain'];
const ALLOWED_PACKAGES = ['@temporalio/workflow', '@temporalio/common', 'zod'];

function files(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return files(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

interface ImportSite {
  spec: string;
  typeOnly: boolean;
}

/** Every module a source file pulls in, as the parser sees it. */
function importsOf(fileName: string, text: string): { imports: ImportSite[]; globals: string[] } {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const imports: ImportSite[] = [];
  const globals: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      // `import { type A }` alone still loads the module at run time: only `import type` is erased.
      imports.push({ spec: node.moduleSpecifier.text, typeOnly: Boolean(c?.isTypeOnly) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      imports.push({ spec: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const e = node.moduleReference.expression;
      if (ts.isStringLiteral(e)) imports.push({ spec: e.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node)) {
      const [arg] = node.arguments;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if ((isImport || isRequire) && arg && ts.isStringLiteral(arg)) imports.push({ spec: arg.text, typeOnly: false });
      else if (isImport || isRequire) globals.push(isImport ? 'import(<expression>)' : 'require(<expression>)');
    } else if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const name = `${node.expression.text}.${node.name.text}`;
      if (name === 'Math.random' || name === 'process.env') globals.push(name);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { imports, globals };
}

/** What is wrong with a sandboxed file's imports and globals ([] = nothing). */
function problems(file: string, text: string): string[] {
  const { imports, globals } = importsOf(file, text);
  const bad: string[] = [];
  for (const { spec, typeOnly } of imports) {
    if (typeOnly) continue;
    if (spec.startsWith('.')) {
      const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), spec));
      if (!SANDBOXED.some((d) => target === d || target.startsWith(d + path.sep)))
        bad.push(`${spec} (outside ${SANDBOXED.join(', ')})`);
    } else if (
      !ALLOWED_PACKAGES.some((p) => spec === p || (spec.startsWith(p + '/') && !spec.includes('internal-non-workflow')))
    ) {
      bad.push(spec);
    }
  }
  return [...bad, ...globals.map((g) => `uses ${g}`)];
}

const sources = SANDBOXED.flatMap(files);

describe('sandbox-safe modules', () => {
  it('exist', () => expect(sources.length).toBeGreaterThan(5));

  it('when a file has side-effect imports, re-exports, dynamic imports or forbidden globals, then each is reported', () => {
    const text = [
      "import 'node:fs';",
      "import type { JobSpec } from '../src/domain/job-spec';",
      "import { type Config } from '../src/config';",
      "export * from '../src/api/app';",
      "export type { X } from '../activities';",
      "const y = import('yaml');",
      "const z = require('node:path');",
      'const r = Math.random() + Number(process.env.X);',
    ].join('\n');
    expect(problems('workflows/probe.ts', text)).toEqual([
      'node:fs',
      '../src/config (outside workflows, src/domain)',
      '../src/api/app (outside workflows, src/domain)',
      'yaml',
      'node:path',
      'uses Math.random',
      'uses process.env',
    ]);
  });

  it.each(sources)('%s imports only workflow-safe modules', (file) => {
    expect(problems(file, fs.readFileSync(path.join(root, file), 'utf8'))).toEqual([]);
  });
});
