/**
 * What actually lands in storage, read around our adapters: an organization is built through the
 * real handlers (encrypted personal fields, jobs, updates with their audit `changes`, an
 * extension token, a backup run by the worker), then every item of the records and audit tables,
 * the backup ZIP and the structured logs are searched for each encrypted value — as text, in
 * base64 (at every alignment) and in hex. The blind index is not the email.
 *
 * Then the ciphertexts themselves: a sealed value copied into another job's raw item, or into
 * another field, fails closed through the API (a 500 that names nothing, logged as an integrity
 * failure) and never opens to the other value; a wrapped data key does not unwrap at KMS under
 * another organization's encryption context.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { DecryptCommand, InvalidCiphertextException, KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { extensionRoutes } from '../../shared/api/routes/extensions.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import { normaliseEmail } from '../../shared/domain/blind-index.ts';
import { createJob, createOrchestration, createOrg } from './api/fixtures.ts';
import { callRoute, newUser, type RouteAnswer } from './api/invoke-route.ts';
import { auditEvents, storedRecords } from './api/stored.ts';
import { stopWorkQueue, workUntil } from './portability-worker-support.ts';
import { scanTableRaw, type RawItem } from '../support/raw-tables.ts';
import { testEnv } from '../support/test-stack.ts';

const tag = randomUUID().slice(0, 8);
const phone = (): string => `+49151${randomInt(10_000_000, 99_999_999)}`;
/** Every value written to an encrypted field, the vendor token and the backup password. */
const SECRET = {
  emailA: `Raw.Subject.${tag}@Example.test`,
  emailRectified: `Rectified.${tag}@Example.test`,
  emailB: `other.subject.${tag}@example.test`,
  phoneA: phone(),
  phoneUpdated: phone(),
  phoneB: phone(),
  ssnA: `SSN-${tag}-AAA`,
  ssnB: `SSN-${tag}-BBB`,
  income: 918273.645,
  token: `vnd_${tag}-Xk7pL2mW8rT5yB3cN`,
  password: `zip-${tag}-horse-battery`,
};

const FIELDS = [
  { id: 'title', label: 'Title', type: 'text' },
  { id: 'email', label: 'Customer email', type: 'email', personal: true, encrypted: true, subject: true },
  { id: 'phone', label: 'Phone', type: 'phone', personal: true, encrypted: true },
  { id: 'ssn', label: 'SSN', type: 'text', personal: true, encrypted: true },
  { id: 'income', label: 'Income', type: 'number', personal: true, encrypted: true },
];

const owner = newUser('raw-owner');
const neighbour = newUser('raw-neighbour');
let orgId: string;
let neighbourOrgId: string;
let orchestrationId: string;
let jobA: string;
let jobB: string;
let backupZip: Buffer;
const answers: RouteAnswer[] = [];
const logs: string[] = [];
const saved = { logLevel: process.env.LOG_LEVEL, stdout: process.stdout.write, stderr: process.stderr.write };
const s3 = new S3Client({ forcePathStyle: true });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

async function call(...args: Parameters<typeof callRoute>): Promise<RouteAnswer> {
  const answer = await callRoute(...args);
  answers.push(answer);
  return answer;
}

function captureLogs(stream: NodeJS.WriteStream): void {
  // The structured logger writes whole lines with write(); keep them to search them.
  stream.write = ((chunk: string | Uint8Array) => {
    logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof stream.write;
}

/** The spellings of a plaintext that must not appear: as given, normalised, and for emails the local part. */
function spellings(value: string | number): string[] {
  const text = String(value);
  const forms = new Set([text, text.toLowerCase(), text.replace(/^\+/, '')]);
  if (text.includes('@')) {
    forms.add(normaliseEmail(text));
    forms.add(text.split('@')[0]!);
  }
  return [...forms];
}

/**
 * The base64, base64url and hex renderings of `text` wherever it sits in a larger encoded buffer:
 * base64 depends on the offset modulo 3, so each alignment is encoded and only the characters
 * that depend on `text` alone are kept.
 */
function encodedForms(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const forms = [bytes.toString('hex')];
  for (const pad of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    const start = Math.ceil((pad * 8) / 6);
    const end = Math.floor(((pad + bytes.length) * 8) / 6);
    const core = encoded.slice(start, end);
    forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

const NEEDLES: readonly { readonly secret: string; readonly needle: string }[] = Object.entries(
  SECRET,
).flatMap(([secret, value]) =>
  spellings(value).flatMap((form) => [form, ...encodedForms(form)].map((needle) => ({ secret, needle }))),
);

/** Every string a raw item holds (keys included), binary attributes as base64 and as latin1 text. */
function stringsOf(value: AttributeValue): string[] {
  if (value.S !== undefined) return [value.S];
  if (value.N !== undefined) return [value.N];
  if (value.B !== undefined)
    return [Buffer.from(value.B).toString('base64'), Buffer.from(value.B).toString('latin1')];
  if (value.SS !== undefined) return value.SS;
  if (value.NS !== undefined) return value.NS;
  if (value.BS !== undefined)
    return value.BS.flatMap((b) => [Buffer.from(b).toString('base64'), Buffer.from(b).toString('latin1')]);
  if (value.L !== undefined) return value.L.flatMap(stringsOf);
  if (value.M !== undefined)
    return Object.entries(value.M).flatMap(([key, inner]) => [key, ...stringsOf(inner)]);
  return [];
}

function itemText(item: RawItem): string {
  return Object.entries(item)
    .flatMap(([key, value]) => [key, ...stringsOf(value)])
    .join('\u0000');
}

/** Which secrets (by name) appear in `haystack`, in any rendering. */
function leaksIn(haystack: string): string[] {
  return [...new Set(NEEDLES.filter(({ needle }) => haystack.includes(needle)).map(({ secret }) => secret))];
}

async function setRawField(jobId: string, fieldId: string, value: string): Promise<void> {
  await documents.send(
    new UpdateCommand({
      TableName: testEnv('RECORDS_TABLE'),
      Key: { pk: `ORG#${orgId}`, sk: `JOB#${jobId}` },
      UpdateExpression: 'SET #fields.#field = :value',
      ExpressionAttributeNames: { '#fields': 'fields', '#field': fieldId },
      ExpressionAttributeValues: { ':value': value },
    }),
  );
}

async function rawFields(jobId: string): Promise<Record<string, unknown>> {
  const [item] = await storedRecords(orgId, `JOB#${jobId}`);
  return item!.fields as Record<string, unknown>;
}

beforeAll(async () => {
  // Read by the logger when the functions first load: every line they write is searched below.
  process.env.LOG_LEVEL = 'debug';
  captureLogs(process.stdout);
  captureLogs(process.stderr);
  orgId = await createOrg(owner, 'Raw Tables GmbH');
  neighbourOrgId = await createOrg(neighbour, 'Next Door GmbH');
  orchestrationId = await createOrchestration(orgId, owner, { name: 'Personal', fields: FIELDS });
  jobA = await createJob(orgId, orchestrationId, owner, {
    title: 'Claim A',
    email: SECRET.emailA,
    phone: SECRET.phoneA,
    ssn: SECRET.ssnA,
    income: SECRET.income,
  });
  jobB = await createJob(orgId, orchestrationId, owner, {
    title: 'Claim B',
    email: SECRET.emailB,
    phone: SECRET.phoneB,
    ssn: SECRET.ssnB,
  });
  const updated = await call({
    route: jobRoutes.updateJob,
    as: owner,
    params: { orgId, jobId: jobA },
    body: { fields: { title: 'Claim A, checked', email: SECRET.emailRectified, phone: SECRET.phoneUpdated } },
  });
  expect(updated.status).toBe(200);
  expect(
    (
      await call({
        route: jobRoutes.transitionJob,
        as: owner,
        params: { orgId, jobId: jobA },
        body: { stage: 'review' },
      })
    ).status,
  ).toBe(200);
  // Reads that decrypt, so their audit events and logs are part of what is searched.
  expect((await call({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId: jobA } })).status).toBe(
    200,
  );
  expect(
    (await call({ route: jobRoutes.listJobs, as: owner, params: { orgId, orchestrationId } })).status,
  ).toBe(200);
  const token = await call({
    route: extensionRoutes.setToken,
    as: owner,
    params: { orgId, extensionId: 'custom-webhook' },
    body: { token: SECRET.token },
  });
  expect(token.status).toBe(204);

  const backup = await call({
    route: portabilityRoutes.createBackup,
    as: owner,
    params: { orgId },
    body: { password: SECRET.password },
  });
  expect(backup.status).toBe(202);
  const backupId = backup.body.backupId as string;
  await workUntil(async () => {
    const status = (
      await call({ route: portabilityRoutes.getBackup, as: owner, params: { orgId, backupId } })
    ).body;
    return status.status === 'failed' || (status.status === 'ready' && status.email !== 'pending');
  });
  const object = await s3.send(
    new GetObjectCommand({ Bucket: testEnv('FILES_BUCKET'), Key: `orgs/${orgId}/backups/${backupId}.zip` }),
  );
  backupZip = Buffer.from(await object.Body!.transformToByteArray());
}, 90_000);

afterAll(() => {
  process.stdout.write = saved.stdout;
  process.stderr.write = saved.stderr;
  if (saved.logLevel === undefined) delete process.env.LOG_LEVEL;
  else process.env.LOG_LEVEL = saved.logLevel;
  stopWorkQueue();
  s3.destroy();
  documents.destroy();
});

describe('no plaintext of an encrypted value is stored anywhere', () => {
  test('the search would find one: the needles match the values they stand for', () => {
    // Guards the test itself: a needle list that matched nothing would pass vacuously.
    const sample = `x${Buffer.from(`ab${SECRET.ssnA}cd`).toString('base64')}y`;
    expect(leaksIn(sample)).toEqual(['ssnA']);
    expect(leaksIn(`"${normaliseEmail(SECRET.emailA)}"`)).toEqual(['emailA']);
    expect(leaksIn(String(SECRET.income))).toEqual(['income']);
  });

  test('the organization wrote what the test searches for', async () => {
    const [a, b] = [await rawFields(jobA), await rawFields(jobB)];
    for (const fieldId of ['email', 'phone', 'ssn', 'income'])
      expect(String(a[fieldId])).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    for (const fieldId of ['email', 'phone', 'ssn'])
      expect(String(b[fieldId])).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    const [connection] = await storedRecords(orgId, 'EXT#custom-webhook');
    expect(connection).toBeDefined();
    const events = await auditEvents(orgId);
    const update = events.find((event) => event.action === 'job.update');
    // The update's `changes` name the encrypted fields, carry only the plain value.
    expect(update).toMatchObject({
      changes: {
        fields: expect.arrayContaining(['title', 'email', 'phone']),
        values: { title: 'Claim A, checked' },
      },
    });
    expect(Object.keys((update!.changes as { values: object }).values)).toEqual(['title']);
    expect(events.map((event) => event.action)).toEqual(
      expect.arrayContaining([
        'job.create',
        'job.update',
        'job.transition',
        'job.read',
        'extension.token_set',
        'backup.create',
      ]),
    );
  });

  test('records table: every item, keys and indexes included', async () => {
    const items = await scanTableRaw('records');
    expect(items.length).toBeGreaterThan(0);
    const leaks = items.flatMap((item) =>
      leaksIn(itemText(item)).map((secret) => `${item.pk?.S}/${item.sk?.S}: ${secret}`),
    );
    expect(leaks).toEqual([]);
  });

  test('audit table: every event, its changes and its detail', async () => {
    const items = await scanTableRaw('audit');
    expect(items.some((item) => item.pk?.S === `ORG#${orgId}`)).toBe(true);
    const leaks = items.flatMap((item) =>
      leaksIn(itemText(item)).map((secret) => `${item.pk?.S}/${item.sk?.S}: ${secret}`),
    );
    expect(leaks).toEqual([]);
  });

  test('the backup ZIP (AES-256 under the password) holds none of them in clear', () => {
    expect(backupZip.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(leaksIn(backupZip.toString('latin1'))).toEqual([]);
  });

  test('no answer carries the vendor token or the backup password', () => {
    const leaked = answers
      .flatMap((answer) => leaksIn(answer.text))
      .filter((secret) => secret === 'token' || secret === 'password');
    expect(leaked).toEqual([]);
  });

  test('the blind index is a keyed hash, not the email nor an unkeyed hash of it', async () => {
    const [item] = await storedRecords(orgId, `JOB#${jobA}`);
    const index = item!.subjectIndex as string;
    expect(index).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(item!.gsi2pk).toBe(`ORG#${orgId}#SUBJ#${index}`);
    const email = normaliseEmail(SECRET.emailRectified);
    expect(index).not.toContain(email);
    expect(index).not.toBe(createHash('sha256').update(email).digest('base64url'));
    expect(leaksIn(index)).toEqual([]);
  });
});

describe('a ciphertext moved elsewhere fails closed', () => {
  let victim: string;
  let donor: string;
  let victimOriginal: Record<string, unknown>;

  beforeAll(async () => {
    // Own orchestration: the broken jobs must not break the listings of the tests above.
    const swapOrchestration = await createOrchestration(orgId, owner, { name: 'Swap', fields: FIELDS });
    donor = await createJob(orgId, swapOrchestration, owner, {
      ssn: `${SECRET.ssnA}-donor`,
      email: `donor.${tag}@example.test`,
    });
    victim = await createJob(orgId, swapOrchestration, owner, {
      ssn: `${SECRET.ssnB}-victim`,
      email: `victim.${tag}@example.test`,
    });
    victimOriginal = await rawFields(victim);
  });

  beforeEach(async () => {
    // Each case starts from the victim as written, and proves it opens before breaking it.
    for (const fieldId of ['email', 'ssn'])
      await setRawField(victim, fieldId, String(victimOriginal[fieldId]));
    const intact = await call({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId: victim } });
    expect(intact.status).toBe(200);
    expect(intact.body.fields).toMatchObject({
      ssn: `${SECRET.ssnB}-victim`,
      email: `victim.${tag}@example.test`,
    });
  });

  test.each([
    ['another job, same field', 'ssn', 'ssn'],
    ['the same job, another field', 'email', 'ssn'],
  ])(
    'a sealed value copied from %s: 500 naming nothing, an integrity failure in the log, never the other value',
    async (_case, fromField, toField) => {
      // Prepare
      const source = fromField === toField ? donor : victim;
      const sealed = String((await rawFields(source))[fromField]);
      await setRawField(victim, toField, sealed);
      const logsBefore = logs.length;
      // Act
      const answer = await call({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId: victim } });
      // Assess
      expect(answer.status).toBe(500);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(answer.body).toEqual({
        type: 'https://custos.dev/problems/internal',
        title: 'Internal error',
        status: 500,
        detail: 'Something went wrong on our side',
      });
      for (const plaintext of [
        `${SECRET.ssnA}-donor`,
        `${SECRET.ssnB}-victim`,
        `donor.${tag}`,
        `victim.${tag}`,
      ])
        expect(answer.text).not.toContain(plaintext);
      const failure = logs
        .slice(logsBefore)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line.message === 'request failed');
      expect(failure).toMatchObject({
        level: 'error',
        error: 'IntegrityError',
        route: 'GET /v1/orgs/{orgId}/jobs/{jobId}',
      });
    },
  );

  test('the original of a moved value still opens where it belongs', async () => {
    const answer = await call({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId: donor } });

    expect(answer.status).toBe(200);
    expect(answer.body.fields.ssn).toBe(`${SECRET.ssnA}-donor`);
  });
});

describe('KMS binds each wrapped data key to its organization', () => {
  const kms = new KMSClient({ maxAttempts: 1 });
  afterAll(() => kms.destroy());

  async function wrappedKeyOf(org: string): Promise<Uint8Array> {
    const [item] = await storedRecords(org, 'ORG');
    return Buffer.from((item!.wrappedKeys as { ciphertext: string }[])[0]!.ciphertext, 'base64');
  }

  test('Decrypt under the right context opens it; under a neighbour’s or without context it is InvalidCiphertextException', async () => {
    const blob = await wrappedKeyOf(orgId);
    const decrypt = (context?: Record<string, string>) =>
      kms.send(
        new DecryptCommand({
          CiphertextBlob: blob,
          KeyId: testEnv('FIELD_KEY_ID'),
          ...(context === undefined ? {} : { EncryptionContext: context }),
        }),
      );

    await expect(decrypt({ orgId })).resolves.toMatchObject({ Plaintext: expect.any(Uint8Array) });
    await expect(decrypt({ orgId: neighbourOrgId })).rejects.toBeInstanceOf(InvalidCiphertextException);
    await expect(decrypt()).rejects.toBeInstanceOf(InvalidCiphertextException);
  });
});

test('the logs of everything above, failures included, hold no encrypted value in any rendering', () => {
  // The failed reads above logged their errors: the search runs over real lines.
  expect(logs.some((line) => line.includes('"request failed"'))).toBe(true);
  expect(leaksIn(logs.join(''))).toEqual([]);
});
