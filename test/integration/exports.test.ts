/**
 * Exports through the real handlers and the worker against the emulators: only the jobs and
 * fields the requester may see, restricted jobs for owners only, formula injection neutralized,
 * XLSX cells typed, progress and a presigned URL that serves the stored file, issued only while
 * the requester may still make the export.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import ExcelJS from 'exceljs';
import { Readable } from 'node:stream';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import { addMember, createJob, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser, type TestUser } from './api/invoke-route.ts';
import { auditEvents, restrictDirectly } from './api/stored.ts';
import { stopWorkQueue, workUntil } from './portability-worker-support.ts';
import { testEnv } from '../support/test-stack.ts';

const r = portabilityRoutes;
const owner = newUser('owner');
const admin = newUser('admin');
const member = newUser('member');
const hiddenSsn = newUser('clerk');
let orgId: string;
let orchestrationId: string;
let restrictedJobId: string;
let memberJobId: string;
const s3 = new S3Client({ forcePathStyle: true });

beforeAll(async () => {
  orgId = await createOrg(owner, 'Export Co');
  orchestrationId = await createOrchestration(orgId, owner);
  await addMember(orgId, owner, admin, 'admin');
  await addMember(orgId, owner, member, 'member');
  const roleId = await createRole(orgId, owner, {
    name: 'Clerks',
    permissions: ['jobs.read_all', 'jobs.export'],
    fieldPermissions: { [orchestrationId]: { ssn: 'hidden' } },
  });
  await addMember(orgId, owner, hiddenSsn, roleId);
  await createJob(orgId, orchestrationId, owner, {
    title: '=HYPERLINK("http://evil.test","x")',
    email: 'ann@example.test',
    amount: 1250.5,
    due: '2026-03-01',
    ssn: '123-45-6789',
  });
  await createJob(orgId, orchestrationId, owner, {
    title: '+1 call back',
    email: 'bob@example.test',
    amount: 7,
    ssn: '987-65-4321',
  });
  restrictedJobId = await createJob(orgId, orchestrationId, owner, {
    title: 'Disputed',
    email: 'dora@example.test',
    amount: 3,
  });
  await restrictDirectly(orgId, restrictedJobId);
  memberJobId = await createJob(orgId, orchestrationId, member, { title: 'Mine', email: 'meg@example.test' });
});

afterAll(() => {
  stopWorkQueue();
  s3.destroy();
});

async function exportAs(
  user: TestUser,
  format: 'csv' | 'xlsx',
  extra: Record<string, string> = {},
): Promise<{ exportId: string; status: Record<string, unknown>; file: Buffer }> {
  const created = await callRoute({
    route: r.createExport,
    as: user,
    params: { orgId },
    body: { format, ...extra },
  });
  expect(created.status).toBe(202);
  const exportId = created.body.exportId as string;
  let status: Record<string, unknown> = {};
  await workUntil(async () => {
    const answer = await callRoute({ route: r.getExport, as: user, params: { orgId, exportId } });
    status = answer.body;
    return status.status === 'ready' || status.status === 'failed';
  });
  expect(status.status).toBe('ready');
  const response = await fetch(String(status.downloadUrl));
  expect(response.status).toBe(200);
  return { exportId, status, file: Buffer.from(await response.arrayBuffer()) };
}

const csvText = (file: Buffer): string => file.toString('utf8').replace(/^\uFEFF/, '');

test('an owner exports every job as CSV, restricted ones included, formula cells neutralized', async () => {
  // Act
  const { status, file } = await exportAs(owner, 'csv');
  // Assess
  const text = csvText(file);
  expect(status).toMatchObject({
    rowsWritten: 4,
    format: 'csv',
    downloadUrl: expect.stringMatching(/^http/),
  });
  expect(text.split('\r\n')[0]).toBe(
    'Job,Orchestration,Stage,Owner,Restricted,Legal hold,Created,Updated,Title,Customer email,Phone,Amount,Due,SSN',
  );
  expect(text).toContain(`"'=HYPERLINK(""http://evil.test"",""x"")"`);
  expect(text).toContain("'+1 call back");
  expect(text).toContain('123-45-6789');
  expect(text).toContain('ann@example.test');
  expect(text).toContain(restrictedJobId);
  expect(text).toMatch(/,1250\.5,2026-03-01,/);
});

test('an admin does not get restricted jobs; a hidden field is neither column nor value', async () => {
  const asAdmin = csvText((await exportAs(admin, 'csv')).file);
  expect(asAdmin).not.toContain(restrictedJobId);
  expect(asAdmin).toContain(memberJobId);

  const asClerk = csvText((await exportAs(hiddenSsn, 'csv', { orchestrationId })).file);
  expect(asClerk.split('\r\n')[0]).not.toContain('SSN');
  expect(asClerk).not.toContain('123-45-6789');
  expect(asClerk).not.toContain('987-65-4321');
  expect(asClerk).toContain('ann@example.test');
  expect(asClerk).not.toContain(restrictedJobId);
});

test('XLSX cells are typed: numbers as numbers, dates as dates, the header of field labels', async () => {
  const { file } = await exportAs(owner, 'xlsx', { orchestrationId });
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.read(Readable.from(file));
  const sheet = workbook.worksheets[0]!;
  const header = (sheet.getRow(1).values as unknown[]).slice(1);
  expect(header).toEqual([
    'Job',
    'Orchestration',
    'Stage',
    'Owner',
    'Restricted',
    'Legal hold',
    'Created',
    'Updated',
    'Title',
    'Customer email',
    'Phone',
    'Amount',
    'Due',
    'SSN',
  ]);
  const rows = sheet.getRows(2, sheet.rowCount - 1)!.map((row) => (row.values as unknown[]).slice(1));
  const ann = rows.find((row) => row[9] === 'ann@example.test')!;
  expect(ann[5]).toBe('no');
  expect(ann[11]).toBe(1250.5);
  expect(ann[12]).toBeInstanceOf(Date);
  expect((ann[12] as Date).toISOString()).toBe('2026-03-01T00:00:00.000Z');
  expect(ann[6]).toBeInstanceOf(Date);
  expect(ann[8]).toBe(`'=HYPERLINK("http://evil.test","x")`);
});

test('a plain member may not export all jobs but exports their own job; not the restricted one', async () => {
  const denied = await callRoute({
    route: r.createExport,
    as: member,
    params: { orgId },
    body: { format: 'csv' },
  });
  expect(denied.status).toBe(403);

  const own = await callRoute({
    route: r.exportJob,
    as: member,
    params: { orgId, jobId: memberJobId },
    query: { format: 'csv' },
  });
  expect(own.status).toBe(200);
  expect(own.headers['content-type']).toMatch(/^text\/csv/);
  expect(own.headers['content-disposition']).toMatch(/^attachment; filename="custos-job-/);
  expect(own.text).toContain('meg@example.test');

  const othersJob = await callRoute({
    route: r.exportJob,
    as: member,
    params: { orgId, jobId: restrictedJobId },
    query: { format: 'csv' },
  });
  expect(othersJob.status).toBe(404);
  const restrictedForAdmin = await callRoute({
    route: r.exportJob,
    as: admin,
    params: { orgId, jobId: restrictedJobId },
    query: { format: 'xlsx' },
  });
  expect(restrictedForAdmin.status).toBe(409);
  const restrictedForOwner = await callRoute({
    route: r.exportJob,
    as: owner,
    params: { orgId, jobId: restrictedJobId },
    query: { format: 'xlsx' },
  });
  expect(restrictedForOwner.status).toBe(200);
  expect(restrictedForOwner.headers['content-type']).toMatch(/spreadsheetml/);
});

test("an export is its requester's: others get 404; requests, completion and downloads are audited; the file lies under the org", async () => {
  const { exportId } = await exportAs(admin, 'csv');
  const asOwner = await callRoute({ route: r.getExport, as: owner, params: { orgId, exportId } });
  expect(asOwner.status).toBe(404);
  const stranger = newUser('stranger');
  expect((await callRoute({ route: r.getExport, as: stranger, params: { orgId, exportId } })).status).toBe(
    404,
  );

  const actions = (await auditEvents(orgId))
    .filter((e) => (e.resource as { id: string }).id === exportId)
    .map((e) => e.action);
  expect(actions).toEqual(expect.arrayContaining(['export.create', 'export.complete', 'export.download']));
  const object = await s3.send(
    new GetObjectCommand({ Bucket: testEnv('FILES_BUCKET'), Key: `orgs/${orgId}/exports/${exportId}.csv` }),
  );
  expect(object.ContentType).toMatch(/^text\/csv/);
});

// Access is checked when it is used (issue 16): a ready export stops issuing URLs once its requester may no longer make it.
test.each([
  [
    'demoted from admin to member: 403',
    (user: TestUser) =>
      callRoute({
        route: orgRoutes.changeMember,
        as: owner,
        params: { orgId, userId: user.sub },
        body: { role: 'member' },
      }),
    403,
  ],
  [
    'removed: 404',
    (user: TestUser) =>
      callRoute({ route: orgRoutes.removeMember, as: owner, params: { orgId, userId: user.sub } }),
    404,
  ],
])('a requester %s, and no downloadUrl, for an export made before', async (_name, revoke, status) => {
  // Prepare
  const requester = newUser('export-requester');
  await addMember(orgId, owner, requester, 'admin');
  const { exportId } = await exportAs(requester, 'csv');
  expect([200, 204]).toContain((await revoke(requester)).status);
  // Act
  const answer = await callRoute({ route: r.getExport, as: requester, params: { orgId, exportId } });
  // Assess
  expect(answer.status).toBe(status);
  expect(answer.text).not.toContain('X-Amz-');
  const downloads = (await auditEvents(orgId)).filter(
    (e) => (e.resource as { id: string }).id === exportId && e.action === 'export.download',
  );
  expect(downloads).toHaveLength(1);
});

test('an export of an orchestration stops issuing URLs once its requester is limited out of it (404)', async () => {
  // Prepare
  const requester = newUser('export-limited');
  const roleId = await createRole(orgId, owner, {
    name: 'Exporters',
    permissions: ['jobs.read_all', 'jobs.export'],
  });
  await addMember(orgId, owner, requester, roleId);
  const limitedId = await createOrchestration(orgId, owner, { name: 'Soon limited' });
  await createJob(orgId, limitedId, owner, { title: 'Row' });
  const { exportId } = await exportAs(requester, 'csv', { orchestrationId: limitedId });
  const limited = await callRoute({
    route: orchestrationRoutes.updateOrchestration,
    as: owner,
    params: { orgId, orchestrationId: limitedId },
    body: { access: { roles: [], users: [] } },
  });
  expect(limited.status).toBe(200);
  // Act
  const answer = await callRoute({ route: r.getExport, as: requester, params: { orgId, exportId } });
  // Assess
  expect(answer.status).toBe(404);
  expect(answer.text).not.toContain('X-Amz-');
});
