/**
 * The one place where errors become HTTP answers: application/problem+json (RFC 9457).
 * Errors below 500 show their message; anything else is a generic 500 that says nothing of
 * its cause.
 */
import {
  CustosError,
  TooManyRequestsError,
  UnavailableError,
  ValidationError,
  WrongCodeError,
} from '../domain/errors.ts';
import type { HttpResult } from './http-result.ts';

export const PROBLEM_BASE = 'https://custos.dev/problems/';

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly { path: string; message: string }[];
  /** A wrong one-time code: how many tries are left before the request is void. */
  readonly triesLeft?: number;
}

export function problemResult(error: unknown): HttpResult {
  if (error instanceof CustosError && error.status < 500) {
    const body: ProblemBody = {
      type: PROBLEM_BASE + error.type,
      title: error.title,
      status: error.status,
      detail: error.message,
      ...(error instanceof ValidationError ? { errors: error.errors } : {}),
      ...(error instanceof WrongCodeError ? { triesLeft: error.triesLeft } : {}),
    };
    const headers: Record<string, string> = {};
    if (error instanceof UnavailableError || error instanceof TooManyRequestsError)
      headers['retry-after'] = String(error.retryAfterSeconds);
    return { status: error.status, body, headers, contentType: 'application/problem+json' };
  }
  if (error instanceof UnavailableError) {
    return {
      status: error.status,
      body: {
        type: PROBLEM_BASE + error.type,
        title: error.title,
        status: error.status,
        detail: error.message,
      },
      headers: { 'retry-after': String(error.retryAfterSeconds) },
      contentType: 'application/problem+json',
    };
  }
  return {
    status: 500,
    body: {
      type: PROBLEM_BASE + 'internal',
      title: 'Internal error',
      status: 500,
      detail: 'Something went wrong on our side',
    },
    contentType: 'application/problem+json',
  };
}
