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
