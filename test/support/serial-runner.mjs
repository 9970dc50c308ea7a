/**
 * Jest's own test runner, marked serial: the files of the projects that name it run one after
 * another in jest's main process, while every other project's files share the workers. The
 * integration and security files all talk to the one set of emulators the global setup started
 * (the same queues, mailbox and audit stream), so two of them at once would take each other's
 * messages; unit and infra files touch no emulator and each e2e file starts a stack of its own,
 * so those run side by side. Jest runs the two groups one after the other.
 */
import TestRunner from 'jest-runner';

export default class SerialRunner extends TestRunner {
  isSerial = true;
}
