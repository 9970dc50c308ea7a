/**
 * What a job read or write costs in DynamoDB round trips (issue 18): the organization, the
 * caller's membership, the job and its orchestration come in one batched read; a read that
 * decrypts adds its audit append, a write its one transaction. A warm list reads no decision
 * input: its audit append proves them unchanged (job-list-decisions.test.ts). Counted by a middleware on the
 * document client every adapter uses, while the real handlers run against DynamoDB Local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../../shared/adapters/aws/clients.ts';
import { newId } from '../../shared/domain/ids.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { addMember, createJob, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { storedRecords } from './api/stored.ts';

const WRITES = new Set([
  'TransactWriteItemsCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
]);
const calls: string[] = [];
const counted = async <T>(
  action: () => Promise<T>,
): Promise<{ result: T; reads: string[]; writes: string[] }> => {
  calls.length = 0;
  const result = await action();
  return { result, reads: calls.filter((c) => !WRITES.has(c)), writes: calls.filter((c) => WRITES.has(c)) };
};

const owner = newUser('owner');
const member = newUser('member');
const restricted = newUser('customrole');
let orgId: string;
let orchestrationId: string;
let jobId: string;

beforeAll(async () => {
  dynamoDocumentClient().middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'jobReadsCallCounter' },
  );
  orgId = await createOrg(owner, 'Round trips Ltd');
  orchestrationId = await createOrchestration(orgId, owner);
  const roleId = await createRole(orgId, owner, {
    name: 'Reader',
    permissions: ['jobs.read_all'],
    fieldPermissions: { [orchestrationId]: { ssn: 'hidden' } },
  });
  await addMember(orgId, owner, member, 'member');
  await addMember(orgId, owner, restricted, roleId);
  jobId = await createJob(orgId, orchestrationId, member, {
    title: 'Leak',
    email: 'someone@example.test',
    ssn: 'SSN-1',
  });
});

test('a job read is one batched read plus the audit append of what it decrypted', async () => {
  const { result, reads, writes } = await counted(() =>
    callRoute({ route: jobRoutes.getJob, as: member, params: { orgId, jobId } }),
  );
  expect(result.status).toBe(200);
  expect(reads).toEqual(['BatchGetItemCommand']);
  // The event alone, with nothing to prove unchanged: one PutItem, not a one-item transaction.
  expect(writes).toEqual(['PutItemCommand']);
});

test('a job update is one batched read and one transaction', async () => {
  const { result, reads, writes } = await counted(() =>
    callRoute({
      route: jobRoutes.updateJob,
      as: member,
      params: { orgId, jobId },
      body: { fields: { title: 'Flood' } },
    }),
  );
  expect(result.status).toBe(200);
  expect(reads).toEqual(['BatchGetItemCommand']);
  expect(writes).toEqual(['TransactWriteItemsCommand']);
});

test('a first job list on an instance is one batched read, the page query, and the audit append', async () => {
  const { result, reads, writes } = await counted(() =>
    callRoute({ route: jobRoutes.listJobs, as: member, params: { orgId, orchestrationId } }),
  );
  expect(result.status).toBe(200);
  expect(reads).toEqual(['BatchGetItemCommand', 'QueryCommand']);
  expect(writes).toEqual(['PutItemCommand']);
});

test('a warm job list is the page query and one transaction, with a built-in or a custom role', async () => {
  // Prepare: the custom role's first list reads the role too (cold); the member listed above.
  const cold = await counted(() =>
    callRoute({ route: jobRoutes.listJobs, as: restricted, params: { orgId, orchestrationId } }),
  );
  expect(cold.reads).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand', 'QueryCommand']);

  for (const caller of [member, restricted]) {
    // Act
    const { result, reads, writes } = await counted(() =>
      callRoute({ route: jobRoutes.listJobs, as: caller, params: { orgId, orchestrationId } }),
    );

    // Assess: the decision's inputs are not read again; the audit append's transaction proves them unchanged.
    expect(result.status).toBe(200);
    expect(result.body.items).toHaveLength(1);
    expect(reads).toEqual(['QueryCommand']);
    expect(writes).toEqual(['TransactWriteItemsCommand']);
  }
});

test('a member with a custom role pays one more batched read, for the role', async () => {
  const { result, reads } = await counted(() =>
    callRoute({ route: jobRoutes.getJob, as: restricted, params: { orgId, jobId } }),
  );
  expect(result.status).toBe(200);
  expect(result.body.fields).not.toHaveProperty('ssn');
  expect(reads).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand']);
});

test('a job this instance has not seen costs one more batched read, for its orchestration, once', async () => {
  // Prepare: a job written by another instance, i.e. straight into the table (a copy of a job
  // without encrypted values under a new id), through a client the counter does not watch.
  const plainJob = await createJob(orgId, orchestrationId, owner, { title: 'Plain' });
  const [stored] = await storedRecords(orgId, `JOB#${plainJob}`);
  const unseen = newId();
  const elsewhere = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  await elsewhere.send(
    new PutCommand({
      TableName: process.env.RECORDS_TABLE,
      Item: { ...stored, sk: `JOB#${unseen}`, gsi3sk: `JOB#${unseen}`, jobId: unseen },
    }),
  );

  // Act
  const first = await counted(() =>
    callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId: unseen } }),
  );
  const again = await counted(() =>
    callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId: unseen } }),
  );

  // Assess: nothing decrypted, so no audit append; the second read knows the orchestration.
  expect(first.result.status).toBe(200);
  expect(first.result.body).toMatchObject({ jobId: unseen, fields: { title: 'Plain' } });
  expect(first.reads).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand']);
  expect(again.reads).toEqual(['BatchGetItemCommand']);
  expect([...first.writes, ...again.writes]).toEqual([]);
});

test('the orchestration is read afresh on every read: an access limit set a moment ago already hides the job', async () => {
  expect((await callRoute({ route: jobRoutes.getJob, as: member, params: { orgId, jobId } })).status).toBe(
    200,
  );
  const limited = await callRoute({
    route: orchestrationRoutes.updateOrchestration,
    as: owner,
    params: { orgId, orchestrationId },
    body: { access: { roles: [], users: [owner.sub] } },
  });
  expect(limited.status).toBe(200);
  expect((await callRoute({ route: jobRoutes.getJob, as: member, params: { orgId, jobId } })).status).toBe(
    404,
  );
});
