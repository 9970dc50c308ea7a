/**
 * Concurrency through the real handlers on the emulators:
 *   - optimistic concurrency: two PATCHes of one job sent at once with the same If-Match — one
 *     200, the other 412; the winner's value is stored, the version moved by exactly one, and one
 *     job.update event was written (no lost update, no double write);
 *   - a subject's erasure racing edits of the subject's job ends with the job erased, whoever
 *     came first, in every round.
 */
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { createJob, createOrchestration, createOrg } from '../integration/api/fixtures.ts';
import { callRoute, newUser, type TestUser } from '../integration/api/invoke-route.ts';
import { attribute, changes, partitionState } from './partition-state.ts';

let owner: TestUser;
let orgId: string;
let orchestrationId: string;

beforeAll(async () => {
  owner = newUser('concurrency-owner');
  orgId = await createOrg(owner, 'Concurrency org');
  orchestrationId = await createOrchestration(orgId, owner);
});

const ROUNDS = 5;

test.each(Array.from({ length: ROUNDS }, (_, i) => [i + 1]))(
  'round %i: two PATCHes with the same If-Match → one 200, one 412, no lost update',
  async () => {
    const jobId = await createJob(orgId, orchestrationId, owner, { title: 'Original' });
    const read = await callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId } });
    const etag = read.headers.etag!;
    expect(etag).toBeTruthy();
    const before = await partitionState(orgId);

    const [a, b] = await Promise.all(
      ['From A', 'From B'].map((title) =>
        callRoute({
          route: jobRoutes.updateJob,
          as: owner,
          params: { orgId, jobId },
          headers: { 'if-match': etag },
          body: { fields: { title } },
        }),
      ),
    );
    expect([a!.status, b!.status].sort()).toEqual([200, 412]);
    const winner = a!.status === 200 ? a! : b!;
    const loser = a!.status === 412 ? a! : b!;
    expect(loser.headers['content-type']).toBe('application/problem+json');

    const now = await callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId } });
    expect(now.body.fields.title).toBe(winner.body.fields.title);
    expect(now.body.version).toBe(read.body.version + 1);

    const after = await partitionState(orgId);
    const audit = changes(before.audit, after.audit);
    expect(audit.added).toHaveLength(1);
    expect(attribute(after.audit.get(audit.added[0]!), 'action')).toBe('job.update');
  },
);

test.each(Array.from({ length: ROUNDS }, (_, i) => [i + 1]))(
  'round %i: erasure of a subject racing edits of their job ends with the job erased',
  async (round) => {
    const email = `racing-${round}-${owner.sub.slice(-8)}@example.test`;
    const jobId = await createJob(orgId, orchestrationId, owner, { title: 'Racing', email, ssn: 'SSN-123' });
    const edits = ['one', 'two', 'three'].map((n) =>
      callRoute({
        route: jobRoutes.updateJob,
        as: owner,
        params: { orgId, jobId },
        body: { fields: { title: `Edit ${n}`, ssn: `SSN-${n}` } },
      }),
    );
    const erasure = callRoute({
      route: subjectRoutes.subjectErasure,
      as: owner,
      params: { orgId },
      body: { email, mode: 'delete' },
    });
    const [erased, ...edited] = await Promise.all([erasure, ...edits]);
    expect(erased.status).toBe(200);
    for (const edit of edited) expect([200, 404, 409, 412]).toContain(edit.status);

    const read = await callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId } });
    expect(read.status).toBe(404);
    const state = await partitionState(orgId);
    expect(state.records.has(`JOB#${jobId}`)).toBe(false);
  },
);
