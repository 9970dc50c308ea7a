/**
 * One jest run, four projects. Unit tests never touch the network; integration and e2e tests run
 * the real AWS SDK adapters against the emulators that test/support/global-setup.ts starts on
 * free ports. Type checking is its own step (`npm run typecheck`), so swc only strips types.
 */
const transform = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'es6' } },
  ],
};

/**
 * One runner for every project (lanes-runner.mjs): the files that share the global setup's
 * emulators run one at a time, beside the workers that run all the others.
 */
const runner = '<rootDir>/test/support/lanes-runner.mjs';

const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  transformIgnorePatterns: ['/node_modules/'],
  runner,
};

/** The local IAM check on every client of the projects that run against the emulators. */
const localIam = '<rootDir>/test/support/local-iam.ts';

export default {
  globalSetup: './test/support/global-setup.ts',
  globalTeardown: './test/support/global-teardown.ts',
  testTimeout: 30000,
  // Two workers even on two cores: the e2e files mostly wait on stacks of their own (Java, HTTP),
  // so unit, infra and e2e files overlap, and beside them the serial lane of the files that share
  // the global emulators (above), which mostly waits on DynamoDB Local.
  maxWorkers: 2,
  // A worker whose files are done has an empty event loop (its 'exit' event fires as soon as jest
  // asks it to end), but the process itself can take longer than jest's default 500 ms to be gone
  // on a busy 2-core machine: 450 ms for a unit-only worker and over 500 ms for one that ran an
  // e2e stack were measured (2026-12-02), and jest then kills it and blames a leak. A worker that
  // really leaks a handle never exits, so it is still force-exited and reported, 2 s later.
  workerGracefulExitTimeout: 2000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFiles: [localIam],
    },
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'], setupFiles: [localIam] },
    {
      ...common,
      displayName: 'security',
      testMatch: ['<rootDir>/test/security/**/*.test.ts'],
      setupFiles: [localIam],
    },
  ],
};
