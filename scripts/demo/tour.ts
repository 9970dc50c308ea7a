/**
 * The story `npm run demo` tells, one step per right: who does what, over which route, and what
 * the answer must be. It is written against the typed client generated from the OpenAPI
 * document, so a route change that would break a client fails `tsc` here; run by the e2e test,
 * every answer it receives is also checked against the document (the contract test).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { RouteDefinition } from '../../shared/api/route.ts';
import { auditRoutes } from '../../shared/api/routes/audit.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { downloadRoutes } from '../../shared/api/routes/download.ts';
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { as, StepFailure, type Actor, type DemoClient } from './client.ts';
import {
  BACKUP_PASSWORD,
  JANE,
  JANE_NEW_EMAIL,
  JOHN,
  ORG_NAME,
  teamFor,
  type Customer,
  type TeamMember,
} from './people.ts';

/** What the steps hand each other. Filled in as the story goes. */
export interface TourState {
  readonly run: string;
  owner?: Actor;
  admin?: Actor;
  member?: Actor;
  orgId?: string;
  orchestrationId?: string;
  /** Job ids by customer: Jane has two, John one. */
  jobs: { jane: string[]; john: string[] };
  /** Jane's current address: rectification changes it. */
  janeEmail: string;
}

export interface Step {
  readonly title: string;
  /** The GDPR article(s) the step demonstrates, in a few words. */
  readonly article: string;
  /** Routes the step calls; one the service does not serve fails the step, named. */
  readonly routes: readonly RouteDefinition[];
  /** Later steps cannot run without it: a failure ends the tour. */
  readonly essential?: boolean;
  /** Resolves to a one-line summary of what was shown. */
  run(client: DemoClient, state: TourState): Promise<string>;
}

const tokenAnswer = z.object({ access_token: z.string().min(1) });
const mailbox = z.object({
  items: z.array(z.object({ to: z.array(z.string()), subject: z.string(), links: z.array(z.string()) })),
});
const cleanupReport = z.object({
  organizations: z.array(
    z.object({ orgIdHash: z.string(), counts: z.record(z.string(), z.number()), done: z.boolean() }),
  ),
});

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new StepFailure(`${what} is missing: an earlier step failed`);
  return value;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new StepFailure(message);
}

/**
 * Whether the first entry of a ZIP is WinZip AES-256 encrypted: local header signature, the
 * encrypted flag, compression method 99, and the AES extra field (0x9901) with strength 3.
 */
function isAes256Zip(bytes: Buffer): boolean {
  if (bytes.length < 30 || bytes.readUInt32LE(0) !== 0x04034b50) return false;
  const encrypted = (bytes.readUInt16LE(6) & 1) === 1;
  const method = bytes.readUInt16LE(8);
  const extraStart = 30 + bytes.readUInt16LE(26);
  const extraEnd = extraStart + bytes.readUInt16LE(28);
  for (
    let at = extraStart;
    at + 4 <= extraEnd && at + 4 <= bytes.length;
    at += 4 + bytes.readUInt16LE(at + 2)
  ) {
    if (bytes.readUInt16LE(at) === 0x9901 && at + 8 < bytes.length)
      return encrypted && method === 99 && bytes[at + 8] === 3;
  }
  return false;
}

const orgOf = (state: TourState): { orgId: string } => ({ orgId: need(state.orgId, 'The organization') });
const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

async function signIn(client: DemoClient, person: TeamMember): Promise<Actor> {
  const answer = await client.call({
    method: 'POST',
    path: '/dev/token',
    json: { sub: person.sub, email: person.email },
    expect: 200,
    why: `${person.name} signs in: an OIDC access token from the local identity provider (Cognito in the cloud)`,
  });
  return { name: person.name, token: answer.json(tokenAnswer).access_token };
}

async function accessReport(client: DemoClient, state: TourState, email: string, why: string) {
  const admin = need(state.admin, 'Adam');
  return client.ok({ expect: 200, why }, () =>
    client.api.POST('/v1/orgs/{orgId}/subjects/access', {
      params: { path: orgOf(state) },
      headers: as(admin),
      body: { email },
    }),
  );
}

async function createJob(
  client: DemoClient,
  state: TourState,
  customer: Customer,
  device: string,
): Promise<string> {
  const member = need(state.member, 'Mia');
  const job = await client.ok(
    {
      expect: 201,
      why: `Mia records a repair for ${customer.name}; email and phone are sealed before they are stored (Art. 32)`,
    },
    () =>
      client.api.POST('/v1/orgs/{orgId}/orchestrations/{orchestrationId}/jobs', {
        params: {
          path: { ...orgOf(state), orchestrationId: need(state.orchestrationId, 'The orchestration') },
        },
        headers: as(member),
        body: {
          fields: {
            customer_email: customer.email,
            customer_name: customer.name,
            customer_phone: customer.phone,
            device,
          },
        },
      }),
  );
  check(
    job.fields.customer_email === customer.email && job.ownerId.startsWith('demo-mia-'),
    'The new job does not carry what Mia sent, or she does not own it',
  );
  return job.jobId;
}

export const TOUR: readonly Step[] = [
  {
    title: 'An organization and its team',
    article: 'Art. 29 and 32: only authorised people, each with the least access their role needs',
    routes: [orgRoutes.createOrg, orgRoutes.addMember, orgRoutes.listMembers],
    essential: true,
    async run(client, state) {
      const team = teamFor(state.run);
      state.owner = await signIn(client, team.owner);
      state.admin = await signIn(client, team.admin);
      state.member = await signIn(client, team.member);
      const owner = state.owner;
      const org = await client.ok(
        {
          expect: 201,
          why: "Olivia creates the organization and becomes its owner (the controller of its customers' data)",
        },
        () => client.api.POST('/v1/orgs', { headers: as(owner), body: { name: ORG_NAME } }),
      );
      state.orgId = org.orgId;
      for (const person of [team.admin, team.member]) {
        const added = await client.ok(
          {
            expect: 201,
            why: `Olivia adds ${person.name}: role-based access decides what each of them may read and change`,
          },
          () =>
            client.api.POST('/v1/orgs/{orgId}/members', {
              params: { path: orgOf(state) },
              headers: as(owner),
              body: { userId: person.sub, email: person.email, role: person.role },
            }),
        );
        check(added.role === person.role, `${person.name} was added with role ${added.role}`);
      }
      const member = state.member;
      const members = await client.ok({ expect: 200, why: 'Mia lists the team of her organization' }, () =>
        client.api.GET('/v1/orgs/{orgId}/members', { params: { path: orgOf(state) }, headers: as(member) }),
      );
      check(members.items.length === 3, `The organization has ${members.items.length} members, expected 3`);
      return `"${ORG_NAME}" with an owner, an admin and a member`;
    },
  },
  {
    title: 'An orchestration with personal and encrypted fields, and a few jobs',
    article:
      'Art. 25 and 32: data protection by design; personal fields encrypted with a key per organization',
    routes: [orchestrationRoutes.createOrchestration, jobRoutes.createJob, jobRoutes.listJobs],
    essential: true,
    async run(client, state) {
      const admin = need(state.admin, 'Adam');
      const orchestration = await client.ok(
        {
          expect: 201,
          why: 'Adam defines the blueprint: which fields are personal, which encrypted, which one names the data subject',
        },
        () =>
          client.api.POST('/v1/orgs/{orgId}/orchestrations', {
            params: { path: orgOf(state) },
            headers: as(admin),
            body: {
              name: 'Repairs',
              stages: ['received', 'repairing', 'done'],
              fields: [
                {
                  id: 'customer_email',
                  label: 'Customer email',
                  type: 'email',
                  personal: true,
                  encrypted: true,
                  subject: true,
                },
                { id: 'customer_name', label: 'Customer name', type: 'text', personal: true },
                {
                  id: 'customer_phone',
                  label: 'Customer phone',
                  type: 'phone',
                  personal: true,
                  encrypted: true,
                },
                { id: 'device', label: 'Device', type: 'text' },
              ],
            },
          }),
      );
      state.orchestrationId = orchestration.orchestrationId;
      state.jobs.jane.push(await createJob(client, state, JANE, 'Espresso machine'));
      state.jobs.jane.push(await createJob(client, state, JANE, 'Bicycle'));
      state.jobs.john.push(await createJob(client, state, JOHN, 'Laptop'));
      const member = need(state.member, 'Mia');
      const list = await client.ok(
        {
          expect: 200,
          why: 'Mia lists her jobs: values are decrypted for her because her role may read them',
        },
        () =>
          client.api.GET('/v1/orgs/{orgId}/orchestrations/{orchestrationId}/jobs', {
            params: { path: { ...orgOf(state), orchestrationId: orchestration.orchestrationId } },
            headers: as(member),
          }),
      );
      check(list.items.length === 3, `Mia sees ${list.items.length} jobs, expected her 3`);
      return 'Customer email and phone are stored AES-256-GCM sealed; the email is found through a keyed blind index';
    },
  },
  {
    title: 'Right of access',
    article: 'Art. 15: a person may learn every datum held about them',
    routes: [subjectRoutes.subjectAccess],
    async run(client, state) {
      const report = await accessReport(
        client,
        state,
        state.janeEmail,
        'Jane asks what Fixit holds about her; Adam runs the access report by her email (in the body, never the URL)',
      );
      check(report.items.length === 2, `The report lists ${report.items.length} jobs, expected Jane's 2`);
      const phones = report.items.map(
        (item) => item.fields.find((field) => field.fieldId === 'customer_phone')?.value,
      );
      check(
        phones.every((phone) => phone === JANE.phone),
        "The report does not show Jane's decrypted phone number on every job",
      );
      client.note(
        `Jane's report: ${report.items.map((item) => `${item.orchestration} job ${item.jobId} (${item.fields.length} fields, stage ${item.stage})`).join('; ')}`,
      );
      return '2 jobs across orchestrations, encrypted fields opened for an admin; the request itself is audited';
    },
  },
  {
    title: 'Right to rectification',
    article: 'Art. 16: inaccurate personal data is corrected without undue delay',
    routes: [jobRoutes.updateJob, subjectRoutes.subjectRectification, subjectRoutes.subjectAccess],
    async run(client, state) {
      const jobId = need(state.jobs.jane[0], "Jane's first job");
      const member = need(state.member, 'Mia');
      const admin = need(state.admin, 'Adam');
      const job = await client.ok(
        {
          expect: 200,
          why: 'Mia corrects the name on one job (Art. 16); the audit event names the field, never an encrypted value',
        },
        () =>
          client.api.PATCH('/v1/orgs/{orgId}/jobs/{jobId}', {
            params: { path: { ...orgOf(state), jobId } },
            headers: as(member),
            body: { fields: { customer_name: 'Jane A. Roe' } },
          }),
      );
      check(job.fields.customer_name === 'Jane A. Roe', 'The corrected name was not stored');
      const moved = await client.ok(
        {
          expect: 200,
          why: 'Jane has a new address: Adam rectifies it on all her jobs at once, re-sealed and re-indexed',
        },
        () =>
          client.api.PATCH('/v1/orgs/{orgId}/subjects', {
            params: { path: orgOf(state) },
            headers: as(admin),
            body: { email: state.janeEmail, newEmail: JANE_NEW_EMAIL },
          }),
      );
      check(moved.jobsAffected === 2, `${moved.jobsAffected} jobs were rectified, expected 2`);
      state.janeEmail = JANE_NEW_EMAIL;
      const report = await accessReport(
        client,
        state,
        JANE_NEW_EMAIL,
        'An access report by the new address finds both jobs',
      );
      check(report.items.length === 2, `The new address finds ${report.items.length} jobs, expected 2`);
      return `One field corrected; Jane's address changed on ${moved.jobsAffected} jobs`;
    },
  },
  {
    title: 'Right to restriction of processing',
    article: 'Art. 18: data kept but not processed while, for instance, its accuracy is contested',
    routes: [jobRoutes.restrictJob, jobRoutes.updateJob, jobRoutes.getJob, jobRoutes.liftRestriction],
    async run(client, state) {
      const jobId = need(state.jobs.jane[0], "Jane's first job");
      const path = { params: { path: { ...orgOf(state), jobId } } };
      const admin = need(state.admin, 'Adam');
      const member = need(state.member, 'Mia');
      const restricted = await client.ok(
        { expect: 200, why: 'Jane contests a record: Adam restricts processing of that job (Art. 18(1)(a))' },
        () =>
          client.api.PUT('/v1/orgs/{orgId}/jobs/{jobId}/restriction', {
            ...path,
            headers: as(admin),
            body: { reason: 'The customer contests the accuracy of the repair record' },
          }),
      );
      check(restricted.restricted, 'The job is not marked restricted');
      const refused = await client.refused(
        {
          expect: 409,
          why: 'Mia tries to edit it: refused with 409, the job may be stored but not processed',
        },
        () =>
          client.api.PATCH('/v1/orgs/{orgId}/jobs/{jobId}', {
            ...path,
            headers: as(member),
            body: { fields: { device: 'Espresso machine, descaled' } },
          }),
      );
      check(
        refused.type.endsWith('/restricted'),
        `The 409 is of type ${refused.type}, expected …/restricted`,
      );
      const kept = await client.ok(
        { expect: 200, why: 'It is still stored and readable by those allowed' },
        () => client.api.GET('/v1/orgs/{orgId}/jobs/{jobId}', { ...path, headers: as(member) }),
      );
      check(
        kept.restricted && kept.fields.device === 'Espresso machine',
        'The restricted job changed or lost its flag',
      );
      const lifted = await client.ok(
        {
          expect: 200,
          why: 'Accuracy confirmed: Adam lifts the restriction, with the reason audited (Art. 18(3))',
        },
        () =>
          client.api.DELETE('/v1/orgs/{orgId}/jobs/{jobId}/restriction', {
            ...path,
            headers: as(admin),
            body: { reason: 'Accuracy confirmed with the customer' },
          }),
      );
      check(!lifted.restricted, 'The restriction was not lifted');
      return 'Restricted, an edit refused with 409 (…/restricted), restriction lifted';
    },
  },
  {
    title: 'Right to data portability: an export',
    article: 'Art. 20: personal data in a structured, commonly used, machine-readable format',
    routes: [portabilityRoutes.createExport, portabilityRoutes.getExport],
    async run(client, state) {
      const admin = need(state.admin, 'Adam');
      const { exportId } = await client.ok(
        {
          expect: 202,
          why: 'Adam asks for a CSV export of the Repairs jobs; a queue worker builds it in the background',
        },
        () =>
          client.api.POST('/v1/orgs/{orgId}/exports', {
            params: { path: orgOf(state) },
            headers: as(admin),
            body: { format: 'csv', orchestrationId: need(state.orchestrationId, 'The orchestration') },
          }),
      );
      const ready = await client.poll(
        { expect: 200, why: 'He waits for it: pending → running → ready' },
        () =>
          client.api.GET('/v1/orgs/{orgId}/exports/{exportId}', {
            params: { path: { ...orgOf(state), exportId } },
            headers: as(admin),
          }),
        (status) => {
          if (status.status === 'failed')
            throw new StepFailure(`The export failed: ${status.failure ?? 'no reason given'}`);
          return status.status === 'ready' ? status : undefined;
        },
      );
      check(ready.rowsWritten === 3, `The export holds ${ready.rowsWritten} jobs, expected 3`);
      const file = await client.call({
        method: 'GET',
        path: need(ready.downloadUrl, 'The download URL'),
        expect: 200,
        why: 'The file itself, from a presigned S3 URL valid for minutes (no bearer token)',
      });
      const csv = file.text();
      check(
        csv.includes(JANE_NEW_EMAIL) && csv.includes(JOHN.email),
        'The CSV does not hold the decrypted customer emails',
      );
      client.note(`CSV header: ${csv.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? ''}`);
      return `${ready.rowsWritten} jobs as CSV, only the jobs and fields Adam may see`;
    },
  },
  {
    title: 'Right to data portability: a backup of the whole organization',
    article: 'Art. 20 (and Art. 32): everything, in an AES-256 encrypted ZIP, by an emailed 7-day link',
    routes: [
      portabilityRoutes.createBackup,
      portabilityRoutes.getBackup,
      downloadRoutes.downloadPage,
      downloadRoutes.downloadSubmit,
    ],
    async run(client, state) {
      const owner = need(state.owner, 'Olivia');
      const { backupId } = await client.ok(
        { expect: 202, why: 'Olivia, the owner, asks for a backup protected by a password she chooses' },
        () =>
          client.api.POST('/v1/orgs/{orgId}/backups', {
            params: { path: orgOf(state) },
            headers: as(owner),
            body: { password: BACKUP_PASSWORD },
          }),
      );
      await client.poll(
        { expect: 200, why: 'The worker writes the encrypted ZIP to S3 and emails her the link' },
        () =>
          client.api.GET('/v1/orgs/{orgId}/backups/{backupId}', {
            params: { path: { ...orgOf(state), backupId } },
            headers: as(owner),
          }),
        (status) => {
          if (status.status === 'failed' || status.email === 'failed')
            throw new StepFailure(`The backup failed: ${status.failure ?? `email ${status.email}`}`);
          return status.status === 'ready' && status.email === 'sent' ? status : undefined;
        },
      );
      const mail = (
        await client.call({
          method: 'GET',
          path: '/dev/mail',
          expect: 200,
          why: 'The mail the service sent, captured by the local SES (the mail viewer shows it too)',
        })
      ).json(mailbox);
      const linkPart = `/v1/backups/${backupId}/download?token=`;
      const message = mail.items.find((item) => item.links.some((link) => link.includes(linkPart)));
      const link = message?.links.find((candidate) => candidate.includes(linkPart));
      if (message === undefined || link === undefined)
        throw new StepFailure('No captured email carries the backup link');
      check(message.to.includes(teamFor(state.run).owner.email), 'The backup email did not go to the owner');
      client.note(`Email to ${message.to.join(', ')}: "${message.subject}"`);
      client.note(`Link: ${link}`);
      const token = new URL(link).searchParams.get('token') ?? '';
      const html = await client.ok(
        {
          expect: 200,
          why: 'Olivia opens the link: our page asks for the password (the link never points at S3 itself)',
        },
        () =>
          client.api.GET('/v1/backups/{backupId}/download', {
            params: { path: { backupId }, query: { token } },
            parseAs: 'text',
          }),
      );
      check(
        html.includes(ORG_NAME) &&
          html.includes('<time datetime="') &&
          html.includes('Did not ask for this backup?'),
        'The download page does not name the organization, the expiry and what to do if the link was unexpected',
      );
      const submitted = await client.answer(
        {
          expect: 303,
          why: 'She types the password: 303 to a presigned S3 URL valid for minutes (5 wrong tries lock the link)',
        },
        () =>
          client.api.POST('/v1/backups/{backupId}/download', {
            params: { path: { backupId } },
            // The page's form, as a browser posts it.
            body: { token, password: BACKUP_PASSWORD },
            bodySerializer: (form) => new URLSearchParams(form),
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            parseAs: 'text',
          }),
      );
      const location = submitted.response.headers.get('location');
      if (location === null) throw new StepFailure('The 303 has no Location');
      const zip = await client.call({
        method: 'GET',
        path: location,
        expect: 200,
        why: 'Her browser follows it and saves the ZIP (open it with 7-Zip and the same password)',
      });
      check(isAes256Zip(zip.bytes), 'The download is not a ZIP whose first entry is AES-256 encrypted');
      return `A ${zip.bytes.length}-byte AES-256 ZIP, reached through the emailed link and the password`;
    },
  },
  {
    title: 'Right to erasure',
    article: 'Art. 17: personal data erased without undue delay once there is no ground to keep it',
    routes: [subjectRoutes.subjectErasure, subjectRoutes.subjectAccess, jobRoutes.getJob],
    async run(client, state) {
      const admin = need(state.admin, 'Adam');
      const erased = await client.ok(
        { expect: 200, why: 'Jane asks to be forgotten: Adam erases every job about her, wherever it lives' },
        () =>
          client.api.POST('/v1/orgs/{orgId}/subjects/erasure', {
            params: { path: orgOf(state) },
            headers: as(admin),
            body: { email: state.janeEmail, mode: 'delete' },
          }),
      );
      check(erased.jobsAffected === 2, `${erased.jobsAffected} jobs were erased, expected Jane's 2`);
      const report = await accessReport(
        client,
        state,
        state.janeEmail,
        'An access report for her address now finds nothing',
      );
      check(report.items.length === 0, `The access report still lists ${report.items.length} jobs`);
      const janes = { params: { path: { ...orgOf(state), jobId: need(state.jobs.jane[0], "Jane's job") } } };
      const johns = { params: { path: { ...orgOf(state), jobId: need(state.jobs.john[0], "John's job") } } };
      const member = need(state.member, 'Mia');
      await client.refused({ expect: 404, why: 'Her job is gone: 404' }, () =>
        client.api.GET('/v1/orgs/{orgId}/jobs/{jobId}', { ...janes, headers: as(admin) }),
      );
      await client.ok({ expect: 200, why: "John's job is untouched" }, () =>
        client.api.GET('/v1/orgs/{orgId}/jobs/{jobId}', { ...johns, headers: as(member) }),
      );
      return '2 jobs erased; nothing left to report about Jane; other customers unaffected';
    },
  },
  {
    title: 'The audit log and its tamper evidence',
    article:
      'Art. 5(2) and 30: the controller can show what happened to the data, and that the record is intact',
    routes: [auditRoutes.listAudit, auditRoutes.verifyAudit],
    async run(client, state) {
      const owner = need(state.owner, 'Olivia');
      const admin = need(state.admin, 'Adam');
      const page = await client.ok(
        { expect: 200, why: 'Olivia reads the latest events: who did what, when, from where' },
        () =>
          client.api.GET('/v1/orgs/{orgId}/audit', {
            params: { path: orgOf(state), query: { limit: 8 } },
            headers: as(owner),
          }),
      );
      check(
        page.items.some((event) => event.action === 'subject.erase'),
        'The erasure is not in the audit log',
      );
      client.note(`Latest: ${page.items.map((event) => event.action).join(', ')}`);
      await client.refused(
        {
          expect: 403,
          why: 'Adam may not read it: admins need the audit.read permission (and the refusal is itself audited)',
        },
        () =>
          client.api.GET('/v1/orgs/{orgId}/audit', { params: { path: orgOf(state) }, headers: as(admin) }),
      );
      const verdict = await client.ok(
        { expect: 200, why: 'The whole hash chain and its signed digests are re-walked' },
        () =>
          client.api.GET('/v1/orgs/{orgId}/audit/verify', {
            params: { path: orgOf(state) },
            headers: as(owner),
          }),
      );
      check(
        verdict.valid,
        `The audit chain does not verify (first broken at ${verdict.firstBrokenAt ?? '?'}, ${verdict.reason ?? 'no reason'})`,
      );
      return `The chain of ${verdict.events} events verifies`;
    },
  },
  {
    title: 'Deleting the organization through a clean-up cycle',
    article: "Art. 17 and 28(3)(g): when the service ends, all of the organization's data is erased",
    routes: [orgRoutes.deleteOrg, orgRoutes.getOrg],
    async run(client, state) {
      const owner = need(state.owner, 'Olivia');
      const admin = need(state.admin, 'Adam');
      const org = { params: { path: orgOf(state) } };
      const accepted = await client.ok(
        { expect: 202, why: 'Olivia deletes the organization: closed at once, queued for erasure' },
        () => client.api.DELETE('/v1/orgs/{orgId}', { ...org, headers: as(owner) }),
      );
      check(accepted.status === 'pending_deletion', `The deletion answered status ${accepted.status}`);
      await client.refused({ expect: 404, why: 'For everyone else it is already gone' }, () =>
        client.api.GET('/v1/orgs/{orgId}', { ...org, headers: as(admin) }),
      );
      const pending = await client.ok(
        {
          expect: 200,
          why: 'The owner still sees its status (and may cancel until a clean-up cycle starts)',
        },
        () => client.api.GET('/v1/orgs/{orgId}', { ...org, headers: as(owner) }),
      );
      check(
        pending.status === 'pending_deletion',
        `The organization is ${pending.status}, expected pending_deletion`,
      );
      const hash = sha256Hex(need(state.orgId, 'The organization'));
      // The timed scheduler may run the cycle first; then this run's report simply lacks it.
      let counts: Readonly<Record<string, number>> | undefined;
      for (let cycle = 1; cycle <= 5; cycle += 1) {
        const report = (
          await client.call({
            method: 'POST',
            path: '/dev/cleanup',
            expect: 200,
            why: 'The clean-up cycle runs (an EventBridge schedule in the cloud): records, audit events, files and keys erased',
          })
        ).json(cleanupReport);
        const mine = report.organizations.find((organization) => organization.orgIdHash === hash);
        if (mine === undefined || mine.done) {
          counts = mine?.counts ?? {};
          break;
        }
      }
      if (counts === undefined)
        throw new StepFailure('Five clean-up cycles did not finish erasing the organization');
      if (Object.keys(counts).length > 0)
        client.note(
          `Erased: ${Object.entries(counts)
            .map(([kind, count]) => `${count} ${kind}`)
            .join(', ')}`,
        );
      await client.refused(
        {
          expect: 404,
          why: 'Now it is gone for its owner too; only a deletion record without personal data remains',
        },
        () => client.api.GET('/v1/orgs/{orgId}', { ...org, headers: as(owner) }),
      );
      return 'Queued, erased by one clean-up cycle, 404 for everyone';
    },
  },
];
