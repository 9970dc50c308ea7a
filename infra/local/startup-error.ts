/**
 * Why the local stack could not start, in one sentence a developer can act on ("Port 8000 is
 * already in use (DynamoDB Local)…"). `npm start` and the test setup print the message alone,
 * without a stack trace, because the cause is the machine, not the code.
 */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}
