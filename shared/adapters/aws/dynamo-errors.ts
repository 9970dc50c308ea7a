/**
 * DynamoDB throttling and timeouts become UnavailableError (429/503 with Retry-After) instead of a
 * 500; anything else stays what it is.
 */
import { UnavailableError } from '../../domain/errors.ts';

const THROTTLED = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);
const UNAVAILABLE = new Set(['InternalServerError', 'ServiceUnavailable', 'TimeoutError', 'RequestTimeout']);

export function mapDynamoError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (THROTTLED.has(error.name)) return new UnavailableError(1, true);
  if (UNAVAILABLE.has(error.name)) return new UnavailableError(2, false);
  if (
    error.name === 'TransactionCanceledException' &&
    /ThrottlingError|TransactionConflict/.test(error.message)
  ) {
    return new UnavailableError(1, true);
  }
  return error;
}

/** Awaits a DynamoDB call, mapping throttling and timeouts to UnavailableError. */
export async function guarded<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw mapDynamoError(error);
  }
}
