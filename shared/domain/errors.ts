/**
 * One error hierarchy for the whole product, mapped to HTTP in one place (shared/http/problem.ts).
 * Each error carries its status and a problem type slug; only errors below 500 show their
 * message to a client, and messages never carry personal data or secrets.
 */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export abstract class CustosError extends Error {
  abstract readonly status: number;
  abstract readonly type: string;
  readonly title: string;

  constructor(title: string, message?: string) {
    super(message ?? title);
    this.title = title;
    this.name = new.target.name;
  }
}

export class ValidationError extends CustosError {
  readonly status = 400;
  readonly type = 'validation';
  constructor(
    message: string,
    readonly errors: readonly FieldIssue[] = [],
  ) {
    super('Invalid input', message);
  }
}

export class BadCursorError extends CustosError {
  readonly status = 400;
  readonly type = 'invalid-cursor';
  constructor() {
    super('Invalid cursor', 'The pagination cursor is not valid for this list');
  }
}

export class UnauthenticatedError extends CustosError {
  readonly status = 401;
  readonly type = 'unauthenticated';
  constructor(message = 'A valid bearer token is required') {
    super('Not authenticated', message);
  }
}

export class ForbiddenError extends CustosError {
  readonly status = 403;
  readonly type = 'forbidden';
  constructor(message = 'You do not have the permission for this action') {
    super('Forbidden', message);
  }
}

export class NotFoundError extends CustosError {
  readonly status = 404;
  readonly type = 'not-found';
  constructor(what = 'resource') {
    super('Not found', `The ${what} does not exist`);
  }
}

export class ConflictError extends CustosError {
  readonly status = 409;
  readonly type: string;
  constructor(message: string, type = 'conflict') {
    super('Conflict', message);
    this.type = type;
  }
}

export class RestrictedError extends ConflictError {
  constructor() {
    super('The record is restricted: it is stored but may not be processed', 'restricted');
  }
}

export class ConsentRequiredError extends ConflictError {
  constructor(message = 'No current consent covers this sharing') {
    super(message, 'consent-required');
  }
}

export class GoneError extends CustosError {
  readonly status = 410;
  readonly type = 'gone';
  constructor(message = 'The link has expired') {
    super('Gone', message);
  }
}

export class PreconditionFailedError extends CustosError {
  readonly status = 412;
  readonly type = 'precondition-failed';
  constructor(message = 'The resource was changed since you read it') {
    super('Precondition failed', message);
  }
}

export class PayloadTooLargeError extends CustosError {
  readonly status = 413;
  readonly type = 'payload-too-large';
  constructor(limitBytes: number) {
    super('Payload too large', `Request bodies are limited to ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaTypeError extends CustosError {
  readonly status = 415;
  readonly type = 'unsupported-media-type';
  constructor() {
    super('Unsupported media type', 'Request bodies must be application/json');
  }
}

export class LockedError extends CustosError {
  readonly status = 423;
  readonly type = 'locked';
  constructor(message = 'Too many wrong attempts: the link is locked') {
    super('Locked', message);
  }
}

/** A wrong one-time code: the client learns how many tries are left (shown in the problem body). */
export class WrongCodeError extends CustosError {
  readonly status = 400;
  readonly type = 'wrong-code';
  constructor(readonly triesLeft: number) {
    super('Wrong code', `The code is not right; ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left`);
  }
}

/** A limit of the public request intake was reached; retry after the window ends. */
export class TooManyRequestsError extends CustosError {
  readonly status = 429;
  readonly type = 'too-many-requests';
  constructor(readonly retryAfterSeconds: number) {
    super('Too many requests', 'Too many requests from this address or for this email; retry later');
  }
}

/** A dependency (DynamoDB, KMS, …) throttled us or timed out; the client may retry. */
export class UnavailableError extends CustosError {
  readonly status: number;
  readonly type = 'unavailable';
  constructor(
    readonly retryAfterSeconds: number,
    throttled: boolean,
  ) {
    super('Service unavailable', 'The service is busy, retry later');
    this.status = throttled ? 429 : 503;
  }
}

/** A ciphertext did not open: moved to another record or field, tampered, or its key is gone. */
export class IntegrityError extends CustosError {
  readonly status = 500;
  readonly type = 'integrity';
  constructor(message: string) {
    super('Integrity failure', message);
  }
}
