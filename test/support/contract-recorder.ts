/**
 * The one recording hook of the contract test: every test HTTP client (invoke-route.ts, the raw
 * client of the security suite, the demo's typed client) hands each answer it receives here. Each
 * jest worker appends JSON lines to a file of its own in the directory the global setup made, so
 * recordings cross workers without sharing a file; the global teardown validates them all
 * against the OpenAPI document (contract.ts). Without that directory (unit runs) nothing is kept.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_ENV } from './test-stack.ts';

/** One answer as the contract sees it. Only JSON bodies are kept: other media types are checked by type alone. */
export interface Exchange {
  readonly method: string;
  /** The route's path template, `/v1/orgs/{orgId}`. */
  readonly path: string;
  readonly status: number;
  /** The Content-Type header, if any. */
  readonly contentType?: string;
  /** The names (lower case) of the response headers. */
  readonly headers: readonly string[];
  /** The parsed body of a JSON answer. */
  readonly json?: unknown;
  /** A JSON media type whose body does not parse. */
  readonly malformedJson?: true;
  /** Whether the answer had a body at all. */
  readonly hasBody: boolean;
}

export interface Answered {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

export function exchangeOf(answer: Answered): Exchange {
  const headers = Object.fromEntries(
    Object.entries(answer.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const contentType = headers['content-type'];
  const isJson =
    contentType !== undefined && /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType);
  let json: unknown;
  let malformedJson = false;
  if (isJson && answer.text !== '') {
    try {
      json = JSON.parse(answer.text);
    } catch {
      malformedJson = true;
    }
  }
  return {
    method: answer.method.toUpperCase(),
    path: answer.path,
    status: answer.status,
    ...(contentType === undefined ? {} : { contentType }),
    headers: Object.keys(headers).sort(),
    ...(json === undefined ? {} : { json }),
    ...(malformedJson ? { malformedJson: true } : {}),
    hasBody: answer.text !== '',
  };
}

export function recordAnswer(answer: Answered): void {
  const dir = process.env[TEST_ENV.contractDir];
  if (dir === undefined || dir === '') return;
  // Synchronous, one line per append: a worker that dies mid-test leaves whole lines behind.
  appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify(exchangeOf(answer))}\n`);
}
