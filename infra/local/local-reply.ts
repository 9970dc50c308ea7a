/** What the local gateway answers by itself (dev routes, 404, 413, 500), apart from the gateway so dev routes need not import it. */
import { PROBLEM_BASE } from '../../shared/http/problem.ts';

export interface LocalReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export function jsonReply(status: number, value: unknown): LocalReply {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

export function problemReply(status: number, type: string, title: string, detail: string): LocalReply {
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: PROBLEM_BASE + type, title, status, detail }),
  };
}
