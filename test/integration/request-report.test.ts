/**
 * The report of an access or portability request, through the real handlers and the portability
 * worker: fulfilling queues it (and needs subjects.access), the worker streams the ZIP to S3 with
 * the subject-access items (the fulfilling member's hidden fields absent, nothing about other
 * people, recipients listed) and emails the subject a link; the request is fulfilled then. The
 * link page discloses nothing, emails a fresh code per POST, counts wrong codes (400 with the
 * tries left, the 5th 423), spends a right code once with a 303 to the file, and is 410 after
 * 7 days on the domain clock. Every step is an audit event and a timeline step.
 */
import { randomUUID } from 'node:crypto';
import { TextWriter, Uint8ArrayReader, ZipReader, type Entry, type FileEntry } from '@zip.js/zip.js';
import { requestRoutes } from '../../shared/api/routes/requests.ts';
import { advanceDomainClock } from '../../shared/ports/clock.ts';
import { addMember, createJob, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { auditEvents } from './api/stored.ts';
import { codeFor, freshSourceIp } from './api/subject-requests.ts';
import { stopWorkQueue, workUntil } from './portability-worker-support.ts';
import { emailsTo } from '../support/mailbox.ts';

const owner = newUser('owner');
const desk = newUser('desk');
const handler = newUser('handler');
let orgId: string;
let claimsId: string;

const person = () => `robin.${randomUUID().slice(0, 8)}@example.test`;
const wrongCode = (code: string): string => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
const page = (requestId: string, token: string) =>
  callRoute({ route: requestRoutes.reportPage, params: { requestId }, query: { token } });
const post = (requestId: string, form: Record<string, string>) =>
  callRoute({ route: requestRoutes.reportSubmit, params: { requestId }, body: form });
const getCase = (requestId: string) =>
  callRoute({ route: requestRoutes.getRequest, as: owner, params: { orgId, requestId } });

async function openRequest(type: string, email: string): Promise<string> {
  const submitted = await callRoute({
    route: requestRoutes.submitRequest,
    params: { orgId },
    body: { type, email },
    sourceIp: freshSourceIp(),
  });
  const requestId = submitted.body.requestId as string;
  const verified = await callRoute({
    route: requestRoutes.verifyRequest,
    params: { requestId },
    body: { code: await codeFor(email) },
  });
  expect(verified.status).toBe(200);
  return requestId;
}

/** Fulfils as `as`, lets the worker build it, and returns the token of the link emailed to the subject. */
async function fulfilled(requestId: string, email: string, as = desk): Promise<string> {
  const answer = await callRoute({
    route: requestRoutes.fulfilRequest,
    as,
    params: { orgId, requestId },
    body: {},
  });
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ status: 'open' });
  expect(answer.body.timeline.at(-1)).toMatchObject({ action: 'request.report', actor: as.sub });
  await workUntil(async () => (await getCase(requestId)).body.status === 'fulfilled');
  const mail = (await emailsTo(email)).find((m) =>
    (m.body.text ?? '').includes(`/v1/requests/${requestId}/report`),
  );
  const token = /report\?token=([A-Za-z0-9_-]{43})/.exec(mail?.body.text ?? '')?.[1];
  if (token === undefined) throw new Error('No link in the report email');
  return token;
}

/** Has a code emailed, then posts it: the 303's location. */
async function download(requestId: string, token: string, email: string): Promise<string> {
  const codeSent = await post(requestId, { token });
  expect(codeSent.status).toBe(200);
  const answer = await post(requestId, { token, code: await codeFor(email) });
  expect(answer.status).toBe(303);
  const location = answer.headers.location ?? '';
  // The code page's CSP, whose origin is derived without presigning, lets its form follow this 303.
  expect(codeSent.headers['content-security-policy']).toContain(
    `form-action 'self' ${new URL(location).origin}`,
  );
  return location;
}

async function zipEntries(location: string): Promise<Record<string, string>> {
  const bytes = new Uint8Array(await (await fetch(location)).arrayBuffer());
  const reader = new ZipReader(new Uint8ArrayReader(bytes));
  const isFile = (entry: Entry): entry is FileEntry => !entry.directory;
  const entries: Record<string, string> = {};
  for (const entry of (await reader.getEntries()).filter(isFile))
    entries[entry.filename] = await entry.getData(new TextWriter());
  await reader.close();
  return entries;
}

beforeAll(async () => {
  orgId = await createOrg(owner, 'Report Works');
  claimsId = await createOrchestration(orgId, owner, { name: 'Claims' });
  const deskRole = await createRole(orgId, owner, {
    name: 'Privacy desk',
    permissions: ['requests.manage', 'subjects.access', 'jobs.read_all'],
    fieldPermissions: { [claimsId]: { ssn: 'hidden' } },
  });
  await addMember(orgId, owner, desk, deskRole);
  const handlerRole = await createRole(orgId, owner, {
    name: 'Case handlers',
    permissions: ['requests.manage'],
  });
  await addMember(orgId, owner, handler, handlerRole);
});

afterAll(() => stopWorkQueue());

test('access: a ZIP of everything held about the subject, nothing about others, hidden fields absent; fulfilled once emailed', async () => {
  // Prepare
  const email = person();
  const other = person();
  const own = await createJob(orgId, claimsId, owner, { title: 'Mine', email, ssn: 'HIDDEN-SSN' });
  const notOwn = await createJob(orgId, claimsId, owner, { title: 'Theirs', email: other });
  const requestId = await openRequest('access', email);

  // Act
  const token = await fulfilled(requestId, email);
  const entries = await zipEntries(await download(requestId, token, email));

  // Assess
  expect(Object.keys(entries).sort()).toEqual(['README.txt', 'report.json']);
  const report = JSON.parse(entries['report.json']!);
  expect(report).toMatchObject({ subject: { email }, recipients: [], generatedAt: expect.any(String) });
  expect(report.items.map((i: { jobId: string }) => i.jobId)).toEqual([own]);
  expect(report.items[0].fields.map((f: { fieldId: string }) => f.fieldId)).toEqual(['title', 'email']);
  const all = JSON.stringify(entries);
  expect(all).not.toContain('HIDDEN-SSN');
  expect(all).not.toContain(notOwn);
  expect(all).not.toContain(other);
  const timeline = (await getCase(requestId)).body.timeline.map((s: { action: string }) => s.action);
  expect(timeline).toEqual([
    'request.create',
    'request.verify',
    'request.report',
    'request.report-ready',
    'request.fulfil',
    'request.report-code',
    'request.report-download',
  ]);
  const events = (await auditEvents(orgId)).filter((e) => (e.resource as { id?: string }).id === requestId);
  expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(timeline));
  expect(JSON.stringify(await auditEvents(orgId))).not.toContain(token);
});

test('portability: JSON and a CSV of the same values, machine-readable', async () => {
  const email = person();
  await createJob(orgId, claimsId, owner, { title: 'Portable', email });
  const requestId = await openRequest('portability', email);
  const token = await fulfilled(requestId, email);
  const entries = await zipEntries(await download(requestId, token, email));
  expect(Object.keys(entries).sort()).toEqual(['README.txt', 'report.csv', 'report.json']);
  const [header, ...rows] = entries['report.csv']!.trim().split(/\r?\n/);
  expect(header).toContain('Field id');
  expect(rows.map((row) => row.split(',')[9])).toEqual(['title', 'email']);
  expect(entries['report.csv']).toContain(email);
});

test('the page discloses nothing; wrong codes say the tries left (400), the 5th locks (423) even for the right code', async () => {
  // Prepare
  const email = person();
  await createJob(orgId, claimsId, owner, { title: 'Locked out', email });
  const requestId = await openRequest('access', email);
  const token = await fulfilled(requestId, email);

  // Act
  const shown = await page(requestId, token);
  const sent = await post(requestId, { token });
  const code = await codeFor(email);
  const wrong = [];
  for (let i = 0; i < 5; i += 1) wrong.push(await post(requestId, { token, code: wrongCode(code) }));
  const afterLock = await post(requestId, { token, code });

  // Assess
  expect(shown.status).toBe(200);
  expect(shown.headers['content-security-policy']).toContain("default-src 'none'");
  expect(shown.headers['cache-control']).toBe('no-store');
  expect(shown.text).not.toContain('Report Works');
  expect(shown.text).not.toContain(email);
  expect(shown.text).not.toMatch(/<script/i);
  expect(sent.status).toBe(200);
  expect(wrong.slice(0, 4).map((a) => a.status)).toEqual([400, 400, 400, 400]);
  expect(wrong[0]!.text).toContain('4 tries left');
  expect(wrong[4]!.status).toBe(423);
  expect(afterLock.status).toBe(423);
  expect((await page(requestId, token)).status).toBe(423);
});

test('a code works once, a new POST sends a new code, and an unknown token is 404', async () => {
  const email = person();
  const requestId = await openRequest('access', email);
  const token = await fulfilled(requestId, email);
  await post(requestId, { token });
  const first = await codeFor(email);
  expect((await post(requestId, { token, code: first })).status).toBe(303);
  expect((await post(requestId, { token, code: first })).status).toBe(400);
  await post(requestId, { token });
  const second = await codeFor(email);
  expect((await post(requestId, { token, code: second })).status).toBe(303);
  const forged = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
  expect((await page(requestId, forged)).status).toBe(404);
  expect((await post(requestId, { token: forged })).status).toBe(404);
});

test('requests.manage alone does not build a report: subjects.access is needed too', async () => {
  const email = person();
  const requestId = await openRequest('access', email);
  const refused = await callRoute({
    route: requestRoutes.fulfilRequest,
    as: handler,
    params: { orgId, requestId },
    body: {},
  });
  expect(refused.status).toBe(403);
  expect((await getCase(requestId)).body.status).toBe('open');
});

test('after 7 days and a second the link is gone (410), for the page and the form', async () => {
  const email = person();
  const requestId = await openRequest('access', email);
  const token = await fulfilled(requestId, email);
  advanceDomainClock(7 * 24 * 3600 + 1);
  expect((await page(requestId, token)).status).toBe(410);
  expect((await post(requestId, { token })).status).toBe(410);
});
