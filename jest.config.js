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
    // The tenant-isolation suite: one test per attack a tenant's job or request could make (issue 10).
    {
      displayName: 'security',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/security/**/*.test.ts'],
    },
    // The fault & abuse suite (test/chaos): only with CHAOS=1 (`npm run test:chaos`), so `npm test`
    // stays unit + integration. CI runs the fast part: CHAOS=1 jest --runInBand --selectProjects chaos <files>.
    // The production suite (test/prod): only with PROD=1 (`npm run test:prod`), against the topology
    // `npm run prod:local` started (temporal-server on PostgreSQL, every role its own process).
    ...(process.env.PROD
      ? [
          {
            displayName: 'prod',
            testEnvironment: 'node',
            transform,
            testMatch: ['<rootDir>/test/prod/**/*.test.ts'],
          },
        ]
      : []),
    // The dashboard's browser suite (test/ui): real Chromium against a real stack; only with UI=1
    // (`npm run test:ui`, run by .ci/run), so `npm test` needs no browser.
    ...(process.env.UI
      ? [
          {
            displayName: 'ui',
            testEnvironment: 'node',
            transform,
            testMatch: ['<rootDir>/test/ui/**/*.test.ts'],
          },
        ]
      : []),
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
