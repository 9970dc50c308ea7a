/**
 * Data subject requests against the local stack over HTTP only, codes read from GET /dev/mail:
 * intake, verification and the due date, the staff list, and enumeration — a known and an
 * unknown address get the same status, body shape and headers, and the same response times:
 * 50 tries each, interleaved so load on a shared machine hits both alike, compared by their
 * medians with a tolerance, not by single samples.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack.ts';

let stack: LocalStack;
let owner: string;
let orgId: string;
const KNOWN = 'known.person@example.net';

const call = (method: string, path: string, init: { token?: string; body?: unknown } = {}) =>
  fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(init.token !== undefined ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });

async function json<T>(response: Promise<Response>, status: number): Promise<T> {
  const answer = await response;
  expect(answer.status).toBe(status);
  return (await answer.json()) as T;
}

/** Moves the service's domain clock an hour on: the intake's hourly windows start afresh. */
const nextHour = () => json(call('POST', '/dev/clock', { body: { advanceSeconds: 3600 } }), 200);

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'custos-e2e-requests-'));
  stack = await startLocalStack({ port: 0, dataDir, fresh: true, quiet: true, schedulers: false });
  owner = (
    await json<{ access_token: string }>(
      call('POST', '/dev/token', { body: { sub: 'olivia', email: 'olivia@example.com' } }),
      200,
    )
  ).access_token;
  orgId = (
    await json<{ orgId: string }>(
      call('POST', '/v1/orgs', { token: owner, body: { name: 'Requests e2e' } }),
      201,
    )
  ).orgId;
  const fields = [
    { id: 'title', label: 'Title', type: 'text' },
    { id: 'email', label: 'Customer email', type: 'email', personal: true, encrypted: true, subject: true },
  ];
  const { orchestrationId } = await json<{ orchestrationId: string }>(
    call('POST', `/v1/orgs/${orgId}/orchestrations`, {
      token: owner,
      body: { name: 'Claims', stages: ['new'], fields },
    }),
    201,
  );
  await json(
    call('POST', `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs`, {
      token: owner,
      body: { fields: { title: 'Claim', email: KNOWN } },
    }),
    201,
  );
}, 120_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

/** Headers that name the request or the moment (never the address): left out of the comparison. */
const PER_REQUEST_HEADERS = new Set(['x-request-id', 'apigw-requestid', 'date']);

const intake = (email: string) =>
  call('POST', `/v1/orgs/${orgId}/requests`, { body: { type: 'access', email } });

test('intake, the code from /dev/mail, verification due a month later, and the staff list', async () => {
  const { requestId } = await json<{ requestId: string }>(intake('new.person@example.net'), 202);
  const mail = await json<{ items: { to: string[]; subject: string }[] }>(call('GET', '/dev/mail'), 200);
  const code = /(\d{6})$/.exec(
    mail.items.filter((m) => m.to.includes('new.person@example.net')).at(-1)?.subject ?? '',
  )?.[1];
  expect(code).toMatch(/^\d{6}$/);
  const verified = await json<{ status: string; dueAt: string }>(
    call('POST', `/v1/requests/${requestId}/verify`, { body: { code } }),
    200,
  );
  expect(verified.status).toBe('open');
  expect(Date.parse(verified.dueAt) - Date.now()).toBeGreaterThan(27 * 24 * 3600 * 1000);
  const listed = await json<{ items: { requestId: string }[] }>(
    call('GET', `/v1/orgs/${orgId}/requests?status=open`, { token: owner }),
    200,
  );
  expect(listed.items.map((i) => i.requestId)).toContain(requestId);
}, 60_000);

test('enumeration: known and unknown addresses answer alike, in status, body, headers and time', async () => {
  // Prepare: warm both paths, then start a fresh hour of limits.
  await intake(KNOWN);
  await intake('warm.up@example.net');
  await nextHour();
  const times: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
  const shapes = new Set<string>();
  // Act: 50 of each, interleaved; a new hour every 4 pairs keeps the known address under its 5 an hour.
  for (let i = 0; i < 50; i += 1) {
    if (i > 0 && i % 4 === 0) await nextHour();
    for (const [kind, email] of [
      ['known', KNOWN],
      ['unknown', `nobody.${i}@example.net`],
    ] as const) {
      const started = performance.now();
      const response = await intake(email);
      const body = (await response.json()) as Record<string, unknown>;
      times[kind].push(performance.now() - started);
      const headers = [...response.headers.entries()]
        .filter(([name]) => !PER_REQUEST_HEADERS.has(name))
        .sort();
      shapes.add(JSON.stringify({ status: response.status, keys: Object.keys(body).sort(), headers }));
    }
  }
  // Assess: one shape for all 100 answers; medians within noise of each other.
  expect([...shapes].map((s) => JSON.parse(s).status)).toEqual([202]);
  expect(shapes.size).toBe(1);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const [known, unknown] = [median(times.known), median(times.unknown)];
  // The intake does the same work for both, so any gap is noise: allow 25 % of the slower median, at least 15 ms.
  expect(Math.abs(known - unknown)).toBeLessThanOrEqual(Math.max(15, 0.25 * Math.max(known, unknown)));
}, 180_000);
