/**
 * Data subject requests against the local stack over HTTP only, codes and links read from GET
 * /dev/mail: intake, verification and the due date, the staff list, and enumeration — a known
 * and an unknown address get the same status, body shape and headers, and the same response
 * times: 50 tries each, interleaved so load on a shared machine hits both alike, compared by
 * their medians with a tolerance, not by single samples. Then the fulfilment of each type, by
 * what the subject receives (the report's ZIP through the emailed link and code) and by raw scans
 * of the tables (erasure, restriction, rectification); rejection; and the deadline reminders
 * after advancing the domain clock (last: it moves the clock weeks on).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextWriter, Uint8ArrayReader, ZipReader, type Entry, type FileEntry } from '@zip.js/zip.js';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack.ts';
import { scanTable } from '../support/raw-tables.ts';

let stack: LocalStack;
let owner: string;
let orgId: string;
let orchestrationId: string;
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
  ({ orchestrationId } = await json<{ orchestrationId: string }>(
    call('POST', `/v1/orgs/${orgId}/orchestrations`, {
      token: owner,
      body: { name: 'Claims', stages: ['new'], fields },
    }),
    201,
  ));
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

interface Mail {
  readonly to: string[];
  readonly subject: string;
  readonly text: string;
  readonly links: string[];
}

/** The newest mail to `to` that `pick` finds something in, waiting for it (the worker sends some). */
async function fromMail<T>(to: string, pick: (mail: Mail) => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { items } = await json<{ items: Mail[] }>(call('GET', '/dev/mail'), 200);
    const found = items
      .filter((m) => m.to.includes(to))
      .map(pick)
      .filter((value) => value !== undefined)
      .at(-1);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`No such mail to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const codeIn = (mail: Mail) => /(\d{6})$/.exec(mail.subject)?.[1];
let subjects = 0;

/** A job about a fresh subject, and their request of `type`, verified with the code from the mail. */
async function openRequest(type: string): Promise<{ requestId: string; email: string; jobId: string }> {
  subjects += 1;
  const email = `subject.${subjects}.${type}@example.net`;
  const { jobId } = await json<{ jobId: string }>(
    call('POST', `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs`, {
      token: owner,
      body: { fields: { title: `Claim of ${type}`, email } },
    }),
    201,
  );
  const { requestId } = await json<{ requestId: string }>(
    call('POST', `/v1/orgs/${orgId}/requests`, { body: { type, email } }),
    202,
  );
  await json(
    call('POST', `/v1/requests/${requestId}/verify`, { body: { code: await fromMail(email, codeIn) } }),
    200,
  );
  return { requestId, email, jobId };
}

const fulfil = (requestId: string, body: unknown = {}) =>
  json<{ status: string }>(
    call('POST', `/v1/orgs/${orgId}/requests/${requestId}/fulfil`, { token: owner, body }),
    200,
  );

const form = (link: string, fields: Record<string, string>) =>
  fetch(new URL(new URL(link).pathname, stack.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });

/** What the subject receives: the emailed link, a code asked for and read from the mail, the ZIP's entries. */
async function receivedReport(requestId: string, email: string): Promise<Record<string, string>> {
  const link = await fromMail(email, (m) =>
    m.links.find((l) => l.includes(`/v1/requests/${requestId}/report?token=`)),
  );
  const token = new URL(link).searchParams.get('token') ?? '';
  expect((await fetch(new URL(`${new URL(link).pathname}?token=${token}`, stack.url))).status).toBe(200);
  expect((await form(link, { token })).status).toBe(200);
  const code = await fromMail(email, (m) => (/report/.test(m.subject) ? codeIn(m) : undefined));
  const answer = await form(link, { token, code });
  expect(answer.status).toBe(303);
  const bytes = new Uint8Array(await (await fetch(answer.headers.get('location') ?? '')).arrayBuffer());
  const reader = new ZipReader(new Uint8ArrayReader(bytes));
  const entries: Record<string, string> = {};
  const isFile = (entry: Entry): entry is FileEntry => !entry.directory;
  for (const entry of (await reader.getEntries()).filter(isFile))
    entries[entry.filename] = await entry.getData(new TextWriter());
  await reader.close();
  return entries;
}

describe('fulfilment, as the subject and the tables see it', () => {
  // The enumeration test above used this address's intake limit: a fresh hour.
  beforeAll(() => nextHour());

  test.each([
    ['access', ['README.txt', 'report.json']],
    ['portability', ['README.txt', 'report.csv', 'report.json']],
  ])(
    '%s: the subject is emailed a link; a code from the mail opens the ZIP of their data',
    async (type, names) => {
      const { requestId, email, jobId } = await openRequest(type);
      await fulfil(requestId);
      const entries = await receivedReport(requestId, email);
      expect(Object.keys(entries).sort()).toEqual(names);
      expect(JSON.parse(entries['report.json']!)).toMatchObject({ subject: { email }, items: [{ jobId }] });
      expect(entries['report.json']).not.toContain(KNOWN);
      const view = await json<{ status: string }>(
        call('GET', `/v1/orgs/${orgId}/requests/${requestId}`, { token: owner }),
        200,
      );
      expect(view.status).toBe('fulfilled');
    },
    90_000,
  );

  test('erasure: raw scans of the tables find neither the job nor the address afterwards', async () => {
    const { requestId, email, jobId } = await openRequest('erasure');
    expect((await fulfil(requestId, { mode: 'delete' })).status).toBe('fulfilled');
    const records = JSON.stringify(await scanTable('records'));
    expect(records).not.toContain(jobId);
    expect(records).not.toContain(email);
  }, 60_000);

  test.each(['restriction', 'objection'])(
    '%s: the raw job carries the restriction',
    async (type) => {
      const { requestId, jobId } = await openRequest(type);
      await fulfil(requestId);
      const job = (await scanTable('records')).find((item) => item.sk === `JOB#${jobId}`);
      expect(job?.restriction).toMatchObject({ reason: `Data subject request (${type})` });
    },
    60_000,
  );

  test('rectification: the job moves to the new address; raw scans hold neither address in clear', async () => {
    const { requestId, email } = await openRequest('rectification');
    const newEmail = `moved.${subjects}@example.net`;
    await fulfil(requestId, { newEmail });
    const access = await json<{ items: unknown[] }>(
      call('POST', `/v1/orgs/${orgId}/subjects/access`, { token: owner, body: { email: newEmail } }),
      200,
    );
    expect(access.items).toHaveLength(1);
    const records = JSON.stringify(await scanTable('records'));
    expect(records).not.toContain(email);
    expect(records).not.toContain(newEmail);
  }, 60_000);

  test('rejection: the subject is told why and that they may complain to a supervisory authority', async () => {
    const { requestId, email } = await openRequest('erasure');
    await json(
      call('POST', `/v1/orgs/${orgId}/requests/${requestId}/reject`, {
        token: owner,
        body: { reason: 'The same request was answered last week' },
      }),
      200,
    );
    const told = await fromMail(email, (m) => (/declined/.test(m.subject) ? m.text : undefined));
    expect(told).toContain('The same request was answered last week');
    expect(told).toContain('supervisory authority');
  }, 60_000);

  test('reminders: the owners are emailed 7 days and 1 day before dueAt, once each, after advancing the clock', async () => {
    const { requestId } = await openRequest('access');
    const { dueAt } = await json<{ dueAt: string }>(
      call('GET', `/v1/orgs/${orgId}/requests/${requestId}`, { token: owner }),
      200,
    );
    const reminders = async () =>
      (await json<{ items: Mail[] }>(call('GET', '/dev/mail'), 200)).items.filter(
        (m) => m.to.includes('olivia@example.com') && m.text.includes(requestId),
      );
    const { now } = await json<{ now: string }>(
      call('POST', '/dev/clock', { body: { advanceSeconds: 0 } }),
      200,
    );
    const toWeekBefore = (Date.parse(dueAt) - Date.parse(now)) / 1000 - 7 * 24 * 3600 + 60;
    await json(call('POST', '/dev/clock', { body: { advanceSeconds: toWeekBefore } }), 200);
    await json(call('POST', '/dev/cleanup'), 200);
    await json(call('POST', '/dev/cleanup'), 200);
    expect((await reminders()).map((m) => m.subject)).toEqual([expect.stringContaining('within a week')]);
    await json(call('POST', '/dev/clock', { body: { advanceSeconds: 6 * 24 * 3600 } }), 200);
    await json(call('POST', '/dev/cleanup'), 200);
    expect((await reminders()).map((m) => m.subject)).toEqual([
      expect.stringContaining('within a week'),
      expect.stringContaining('within a day'),
    ]);
  }, 90_000);
});
