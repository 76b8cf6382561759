// Workflow code and the domain modules it imports must stay deterministic and sandbox-safe: no Node
// built-ins, no I/O libraries, no activity/worker/client packages. This is the lint rule that keeps
// them so (the workflow bundler would also refuse some of these, but only at worker start).
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const SANDBOXED = ['workflows', 'src/domain'];
const ALLOWED_PACKAGES = ['@temporalio/workflow', '@temporalio/common', 'zod'];
const FORBIDDEN_GLOBALS = [/\bMath\.random\(/, /\bprocess\.env\b/, /\brequire\(/];

function files(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return files(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

const sources = SANDBOXED.flatMap(files);

describe('sandbox-safe modules', () => {
  it('exist', () => expect(sources.length).toBeGreaterThan(5));

  it.each(sources)('%s imports only workflow-safe modules', (file) => {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const bad: string[] = [];
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      const isType = Boolean(m[2]);
      const spec = m[3]!;
      if (spec.startsWith('.')) {
        const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), spec));
        if (!isType && !SANDBOXED.some((d) => target === d || target.startsWith(d + path.sep))) bad.push(`${spec} (outside ${SANDBOXED.join(', ')})`);
      } else if (!isType && !ALLOWED_PACKAGES.some((p) => spec === p || (spec.startsWith(p + '/') && !spec.includes('internal-non-workflow')))) {
        bad.push(spec);
      }
    }
    for (const re of FORBIDDEN_GLOBALS) if (re.test(text)) bad.push(`uses ${re.source}`);
    expect(bad).toEqual([]);
  });
});
