/**
 * A warm instance lists a caller's jobs on the decision inputs it read for that caller's previous
 * list and serves the page only if the transaction of its audit append proves them unchanged
 * (shared/use-cases/jobs.ts `listJobs`). Each test lists once (the inputs are remembered), changes
 * an input through the real routes of another function, and lists again on the same warm
 * instance: the answer must be what a decision from a fresh read gives.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { dynamoDocumentClient } from '../../shared/adapters/aws/clients.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { roleRoutes } from '../../shared/api/routes/roles.ts';
import { addMember, createJob, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser, type RouteAnswer, type TestUser } from './api/invoke-route.ts';

const owner = newUser('owner');
let orgId: string;
let orchestrationId: string;

const list = (as: TestUser, orchestration = orchestrationId): Promise<RouteAnswer> =>
  callRoute({ route: jobRoutes.listJobs, as, params: { orgId, orchestrationId: orchestration } });

/** Which jobs a list shows, and which of their fields. */
const shown = (answer: RouteAnswer): Array<{ jobId: string; fields: string[] }> =>
  (answer.body.items as Array<{ jobId: string; fields: Record<string, unknown> }>).map((job) => ({
    jobId: job.jobId,
    fields: Object.keys(job.fields).sort(),
  }));

/** A role that reads every job of the orchestration but its ssn. */
const readerRole = (name: string): Promise<string> =>
  createRole(orgId, owner, {
    name,
    permissions: ['jobs.read_all'],
    fieldPermissions: { [orchestrationId]: { ssn: 'hidden' } },
  });

beforeAll(async () => {
  orgId = await createOrg(owner, 'Warm lists Ltd');
  orchestrationId = await createOrchestration(orgId, owner);
  await createJob(orgId, orchestrationId, owner, { title: 'One', email: 'one@example.test', ssn: 'SSN-1' });
  await createJob(orgId, orchestrationId, owner, { title: 'Two', email: 'two@example.test', ssn: 'SSN-2' });
});

test('a custom role narrowed between two lists: the warm list shows what a fresh decision shows', async () => {
  // Prepare: two holders of one role; one of them lists, so this instance remembers its inputs.
  const roleId = await readerRole('Narrowed reader');
  const warm = newUser('warm');
  const fresh = newUser('fresh');
  await addMember(orgId, owner, warm, roleId);
  await addMember(orgId, owner, fresh, roleId);
  const before = await list(warm);
  expect(before.status).toBe(200);
  expect(shown(before).map((job) => job.fields)).toEqual([
    ['email', 'title'],
    ['email', 'title'],
  ]);

  // Act: the role loses the email.
  const narrowed = await callRoute({
    route: roleRoutes.updateRole,
    as: owner,
    params: { orgId, roleId },
    body: { fieldPermissions: { [orchestrationId]: { ssn: 'hidden', email: 'hidden' } } },
  });
  expect(narrowed.status).toBe(200);
  const after = await list(warm);

  // Assess: no email any more, exactly as for a holder this instance never decided for.
  expect(after.status).toBe(200);
  expect(shown(after).map((job) => job.fields)).toEqual([['title'], ['title']]);
  expect(shown(after)).toEqual(shown(await list(fresh)));
});

test.each([
  {
    change: 'removed from the organization',
    act: (roleHolder: TestUser) =>
      callRoute({ route: orgRoutes.removeMember, as: owner, params: { orgId, userId: roleHolder.sub } }),
    status: 204,
    expected: { status: 404, jobs: 0 },
  },
  {
    change: 'moved to the built-in member role (own jobs only)',
    act: (roleHolder: TestUser) =>
      callRoute({
        route: orgRoutes.changeMember,
        as: owner,
        params: { orgId, userId: roleHolder.sub },
        body: { role: 'member' },
      }),
    status: 200,
    expected: { status: 200, jobs: 0 },
  },
])(
  'a member $change between two lists is answered as a fresh decision answers',
  async ({ act, status, expected }) => {
    // Prepare
    const roleHolder = newUser('holder');
    await addMember(orgId, owner, roleHolder, await readerRole(`Reader ${roleHolder.sub.slice(-6)}`));
    const before = await list(roleHolder);
    expect(before.status).toBe(200);
    expect(shown(before)).toHaveLength(2);

    // Act
    expect((await act(roleHolder)).status).toBe(status);
    const after = await list(roleHolder);

    // Assess
    expect(after.status).toBe(expected.status);
    if (after.status === 200) expect(shown(after)).toHaveLength(expected.jobs);
  },
);

test('an orchestration limited to its owner between two lists: the warm list is refused (404)', async () => {
  // Prepare: an orchestration of its own, so the limit hides nothing the other tests read.
  const limitedId = await createOrchestration(orgId, owner, { name: 'Limited' });
  await createJob(orgId, limitedId, owner, { title: 'Limited', email: 'three@example.test' });
  const reader = newUser('reader');
  await addMember(orgId, owner, reader, await readerRole('Limited reader'));
  const before = await list(reader, limitedId);
  expect(before.status).toBe(200);
  expect(shown(before)).toHaveLength(1);

  // Act
  const limited = await callRoute({
    route: orchestrationRoutes.updateOrchestration,
    as: owner,
    params: { orgId, orchestrationId: limitedId },
    body: { access: { roles: [], users: [owner.sub] } },
  });
  expect(limited.status).toBe(200);

  // Assess
  expect((await list(reader, limitedId)).status).toBe(404);
});

test('a proof cancelled for another reason (throttled) serves nothing decided on the remembered inputs', async () => {
  // Prepare: a member who owns a job without encrypted values, so its list appends no event and
  // the proof goes alone in its transaction; after its first list the member is removed.
  const member = newUser('member');
  await addMember(orgId, owner, member, 'member');
  await createJob(orgId, orchestrationId, member, { title: 'Plain' });
  const before = await list(member);
  expect(before.status).toBe(200);
  expect(shown(before)).toEqual([{ jobId: expect.any(String), fields: ['title'] }]);
  expect(
    (await callRoute({ route: orgRoutes.removeMember, as: owner, params: { orgId, userId: member.sub } }))
      .status,
  ).toBe(204);
  // The next transaction is cancelled as DynamoDB cancels a throttled one: no condition failed.
  const client = dynamoDocumentClient();
  let cancelled = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'TransactWriteItemsCommand' || cancelled > 0) return next(args);
      cancelled += 1;
      const items = (args.input as { TransactItems?: unknown[] }).TransactItems ?? [];
      throw new TransactionCanceledException({
        message: 'Transaction cancelled (injected)',
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: items.map((_, i) =>
          i === 0
            ? { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity' }
            : { Code: 'None' },
        ),
      });
    },
    { step: 'initialize', name: 'jobListThrottledProof', priority: 'high' },
  );

  // Act
  const after = await list(member).finally(() => client.middlewareStack.remove('jobListThrottledProof'));

  // Assess: the answer comes from a fresh decision (the member is gone), not from the remembered one.
  expect(cancelled).toBe(1);
  expect(after.status).toBe(404);
});
