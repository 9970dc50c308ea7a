/**
 * Crypto-shredding through the API: the organization's wrapped data keys are removed from its raw
 * item (what the clean-up cycle's claim step does before it sweeps anything) and the unwrapped-key
 * cache is dropped (a new function instance, or a warm one after the cache's TTL). From then on
 * every sealed value of the organization — job fields under every key version, the vendor token —
 * is unreadable: through the API (a 500 naming nothing) and at the data layer (no key opens it,
 * not even a neighbour's). The neighbour organization is unaffected.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { extensionRoutes } from '../../shared/api/routes/extensions.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { keyRoutes } from '../../shared/api/routes/keys.ts';
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { IntegrityError } from '../../shared/domain/errors.ts';
import { sealedKeyId } from '../../shared/domain/field-sealing.ts';
import { OrgCrypto } from '../../shared/domain/org-crypto.ts';
import type { WrappedDataKey } from '../../shared/ports/keys.ts';
import * as services from '../../shared/services.ts';
import { EXTENSION_TOKEN_FIELD, EXTENSION_TOKEN_PURPOSE } from '../../shared/use-cases/extensions.ts';
import { createJob, createOrchestration, createOrg } from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { storedRecords } from './api/stored.ts';
import { testEnv } from '../support/test-stack.ts';

const owner = newUser('shred-owner');
const neighbour = newUser('shred-neighbour');
const SUBJECT = 'shredded.subject@example.test';
const SSN = 'SSN-SHRED-3141';
const TOKEN = 'vnd_7Rt2-Qm9xK4pW8zL5bN3cY';
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

let orgId: string;
let orchestrationId: string;
let neighbourOrgId: string;
let neighbourJob: string;
const jobIds: string[] = [];

interface Sealed {
  readonly recordId: string;
  readonly fieldId: string;
  readonly value: string;
  readonly purpose?: string;
}

/** Every sealed value of the organization as stored: job fields and the vendor token. */
async function sealedValues(): Promise<Sealed[]> {
  const sealed: Sealed[] = [];
  for (const item of await storedRecords(orgId, 'JOB#')) {
    for (const [fieldId, value] of Object.entries(item.fields as Record<string, unknown>)) {
      if (typeof value === 'string' && value.startsWith('v1.'))
        sealed.push({ recordId: item.jobId as string, fieldId, value });
    }
  }
  const [connection] = await storedRecords(orgId, 'EXT#custom-webhook');
  sealed.push({
    recordId: 'custom-webhook',
    fieldId: EXTENSION_TOKEN_FIELD,
    value: connection!.sealedToken as string,
    purpose: EXTENSION_TOKEN_PURPOSE,
  });
  return sealed;
}

async function wrappedKeysOf(org: string): Promise<readonly WrappedDataKey[]> {
  const [item] = await storedRecords(org, 'ORG');
  return (item!.wrappedKeys as WrappedDataKey[] | undefined) ?? [];
}

const getJob = (as: typeof owner, org: string, jobId: string) =>
  callRoute({ route: jobRoutes.getJob, as, params: { orgId: org, jobId } });

beforeAll(async () => {
  orgId = await createOrg(owner, 'Shredded AG');
  orchestrationId = await createOrchestration(orgId, owner);
  jobIds.push(
    await createJob(orgId, orchestrationId, owner, {
      title: 'Before rotation',
      email: SUBJECT,
      ssn: `${SSN}-k1`,
    }),
  );
  // Values under two key versions: shredding takes every version.
  expect((await callRoute({ route: keyRoutes.rotateKey, as: owner, params: { orgId } })).status).toBe(200);
  jobIds.push(
    await createJob(orgId, orchestrationId, owner, {
      title: 'After rotation',
      email: SUBJECT,
      ssn: `${SSN}-k2`,
    }),
  );
  expect(
    (
      await callRoute({
        route: extensionRoutes.setToken,
        as: owner,
        params: { orgId, extensionId: 'custom-webhook' },
        body: { token: TOKEN },
      })
    ).status,
  ).toBe(204);
  neighbourOrgId = await createOrg(neighbour, 'Next Door AG');
  const neighbourOrchestration = await createOrchestration(neighbourOrgId, neighbour);
  neighbourJob = await createJob(neighbourOrgId, neighbourOrchestration, neighbour, {
    email: SUBJECT,
    ssn: `${SSN}-neighbour`,
  });
});

afterAll(() => documents.destroy());

test('before: the organization reads its values, under both key versions', async () => {
  const answers = await Promise.all(jobIds.map((jobId) => getJob(owner, orgId, jobId)));

  expect(answers.map((a) => a.body.fields.ssn)).toEqual([`${SSN}-k1`, `${SSN}-k2`]);
  expect(new Set((await sealedValues()).map((s) => sealedKeyId(s.value)))).toEqual(new Set(['k1', 'k2']));
});

describe('after its wrapped keys are deleted', () => {
  let sealed: Sealed[];

  beforeAll(async () => {
    sealed = await sealedValues();
    // What the clean-up cycle's claim does first (dynamo-tenant-sweeper.ts), alone here so that
    // the organization stays active and only the cryptography can refuse.
    await documents.send(
      new UpdateCommand({
        TableName: testEnv('RECORDS_TABLE'),
        Key: { pk: `ORG#${orgId}`, sk: 'ORG' },
        UpdateExpression: 'REMOVE wrappedKeys',
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
    // A new function instance: no unwrapped key in memory.
    services.keys().forget(orgId);
  });

  test('no job of the organization reads through the API: 500 naming nothing, no plaintext, an integrity failure logged', async () => {
    // Prepare: the structured logger writes error lines to stderr; keep them to read the cause.
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) =>
      lines.push(String(chunk)) > 0) as typeof process.stderr.write;
    let answers;
    try {
      // Act
      answers = [
        ...(await Promise.all(jobIds.map((jobId) => getJob(owner, orgId, jobId)))),
        await callRoute({ route: jobRoutes.listJobs, as: owner, params: { orgId, orchestrationId } }),
        await callRoute({
          route: subjectRoutes.subjectAccess,
          as: owner,
          params: { orgId },
          body: { email: SUBJECT },
        }),
      ];
    } finally {
      process.stderr.write = write;
    }
    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(500);
      expect(answer.body.type).toBe('https://custos.dev/problems/internal');
      expect(answer.text).not.toContain(SSN);
      expect(answer.text).not.toContain(SUBJECT);
    }
    const failures = lines
      .map((line) => JSON.parse(line) as { message: string; error: string })
      .filter((line) => line.message === 'request failed');
    expect(failures.map((line) => line.error)).toEqual(Array(answers.length).fill('IntegrityError'));
  });

  test('no sealed value opens at the data layer: not with what is stored, not with a neighbour’s keys', async () => {
    const stored = new OrgCrypto(services.keys(), orgId, await wrappedKeysOf(orgId));
    const borrowed = new OrgCrypto(services.keys(), orgId, await wrappedKeysOf(neighbourOrgId));
    expect(sealed.length).toBe(5);

    for (const { recordId, fieldId, value, purpose } of sealed) {
      await expect(stored.open(recordId, fieldId, value, purpose)).rejects.toBeInstanceOf(IntegrityError);
      await expect(borrowed.open(recordId, fieldId, value, purpose)).rejects.toBeInstanceOf(IntegrityError);
    }
  });

  test('the neighbour organization is unaffected', async () => {
    services.keys().forget(neighbourOrgId);

    const answer = await getJob(neighbour, neighbourOrgId, neighbourJob);

    expect(answer.status).toBe(200);
    expect(answer.body.fields).toMatchObject({ email: SUBJECT, ssn: `${SSN}-neighbour` });
  });
});
