// The attacks that file-serving confinement must withstand, shared by the local store's and the S3
// store's security tests (test/security/{artifact,s3}-confinement.test.ts): a step that links its
// output folder's entries to another job's files, and artifact paths that try to leave the job.

/**
 * A command step's script that links `bobdir` to the folder in $BOB_DIR and `leak.txt` to the file
 * in $BOB_FILE, writes `mine.txt`, and runs `extra` lines after that.
 */
export function linkingScript(extra: string[] = []): string {
  return [
    "const fs = require('fs'); const out = process.env.JOB_OUTPUT_DIR;",
    "fs.symlinkSync(process.env.BOB_DIR, out + '/bobdir');",
    "fs.symlinkSync(process.env.BOB_FILE, out + '/leak.txt');",
    ...extra,
    "fs.writeFileSync(out + '/mine.txt', 'alice');",
  ].join('\n');
}

/** What a job of linkingScript (node `c`) may publish: its own files and nothing a link pointed at. */
export const LINKING_JOB_ARTIFACTS = ['c/logs/output.log', 'c/mine.txt', 'c/params.json'];

/** Artifact paths that leave the job in some form; `outside` is a relative path to another job's file. */
export function escapingPaths(outside: string): string[] {
  return [
    encodeURIComponent(outside),
    outside.split('/').map(encodeURIComponent).join('/'),
    '%2e%2e/%2e%2e/%2e%2e/bob/runs',
    '%2Fetc%2Fpasswd',
    'c%5C..%5C..%5Cx',
    'c/.trainyard-meta/x',
    'c/.trainyard-logs/x',
    '.trainyard-logs',
    'c/%00',
  ];
}

/** Every escaping path answers 400 or 404 and never a byte of `secret`. */
export async function expectNoEscape(
  get: (artifactPath: string) => Promise<{ status: number; text: string }>,
  outside: string,
  secret: string,
): Promise<void> {
  for (const p of escapingPaths(outside)) {
    const r = await get(p);
    expect({ p, status: [400, 404].includes(r.status) }).toEqual({ p, status: true });
    expect(r.text).not.toContain(secret);
  }
}
