// Tests run TypeScript through SWC (fast, no type-check; `npm run typecheck` does that).
// Integration tests start a real Temporal dev server per file (test/helpers/temporal.ts), so files run in band.
/** @type {import('jest').Config} */
const transform = { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
module.exports = {
  testEnvironment: 'node',
  transform,
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    // The fault & abuse suite (test/chaos): only with CHAOS=1 (`npm run test:chaos`), so `npm test`
    // stays unit + integration. CI runs the fast part: CHAOS=1 jest --runInBand --selectProjects chaos <files>.
    ...(process.env.CHAOS
      ? [
          {
            displayName: 'chaos',
            testEnvironment: 'node',
            transform,
            testMatch: ['<rootDir>/test/chaos/**/*.test.ts'],
          },
        ]
      : []),
  ],
};
