/**
 * Jest's own test runner, in two lanes that run at the same time. The files that talk to the one
 * set of emulators the global setup started (the same queues, mailbox, audit stream and scheduled
 * functions) run one after another in jest's main process, as two of them at once would take each
 * other's messages. Every other file (unit and infra files touch no emulator, each e2e file starts
 * a stack of its own) shares jest's workers meanwhile. Every project names this runner, so that
 * jest hands all files to it: two runners would run one after the other, leaving a core idle while
 * the serial lane waits on DynamoDB Local. `--runInBand` still runs everything in one lane.
 */
import TestRunner from 'jest-runner';

/**
 * The files that share the global emulators: the integration and security projects, and the
 * deployable-artifacts e2e file, which runs the scheduled functions (clean-up, audit review)
 * against them.
 */
const GLOBAL_EMULATORS = [
  /\/test\/integration\//,
  /\/test\/security\//,
  /\/test\/e2e\/deployable-artifacts\.test\.ts$/,
];

export default class LanesRunner extends TestRunner {
  async runTests(tests, watcher, options) {
    if (options.serial) return super.runTests(tests, watcher, options);
    const shared = tests.filter((test) => GLOBAL_EMULATORS.some((pattern) => pattern.test(test.path)));
    const rest = tests.filter((test) => !shared.includes(test));
    await Promise.all([
      shared.length > 0 ? super.runTests(shared, watcher, { ...options, serial: true }) : undefined,
      rest.length > 0 ? super.runTests(rest, watcher, options) : undefined,
    ]);
  }
}
