/**
 * Marketplace extensions through the real handlers against the emulators, with a fake vendor on
 * loopback (HTTPS, self-signed; trusted through WEBHOOK_CA_FILE and reachable because this file
 * allows `localhost` as a private webhook host, as only the local stack and tests do).
 * What the vendor received is the evidence: only consented fields the caller may read arrive,
 * nothing without consent, after withdrawal or for a restricted job, the bearer token is the
 * one stored, and every delivery is signed with the secret of the consent in force. The token never appears in raw table items, captured logs or any response.
 */
import { randomUUID } from 'node:crypto';
import { extensionRoutes } from '../../shared/api/routes/extensions.ts';
import { addMember, createJob, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser, type RouteAnswer, type TestUser } from './api/invoke-route.ts';
import { auditEvents, restrictDirectly, storedRecords } from './api/stored.ts';
import { scanTableRaw } from '../support/raw-tables.ts';
import { startFakeVendor, type FakeVendor } from '../support/fake-vendor.ts';
import { verifySignature } from '../../shared/domain/webhook-signature.ts';

const r = extensionRoutes;
const TOKEN = `vnd_${randomUUID().replaceAll('-', '')}`;
const SSN = `SSN-${randomUUID().slice(0, 8)}`;
const EMAIL = `subject-${randomUUID().slice(0, 8)}@example.test`;
const PHONE = '+4915112345678';
const PROBLEM = 'https://custos.dev/problems/';

let vendor: FakeVendor;
let owner: TestUser;
let member: TestUser;
let orgId: string;
let orchestrationId: string;
let jobId: string;
const answers: RouteAnswer[] = [];
const logs: string[] = [];
const saved = { env: { ...process.env }, stdout: process.stdout.write, stderr: process.stderr.write };

/** Every answer is kept, to check at the end that none carried the token. */
async function call(...args: Parameters<typeof callRoute>): Promise<RouteAnswer> {
  const answer = await callRoute(...args);
  answers.push(answer);
  return answer;
}

const share = (as: TestUser, job = jobId, extensionId = 'custom-webhook', org = orgId) =>
  call({ route: r.shareJob, as, params: { orgId: org, jobId: job, extensionId } });
const consent = (as: TestUser, body: unknown, extensionId = 'custom-webhook', org = orgId) =>
  call({ route: r.grantConsent, as, params: { orgId: org, extensionId }, body });
const setToken = (as: TestUser, body: unknown, extensionId = 'custom-webhook', org = orgId) =>
  call({ route: r.setToken, as, params: { orgId: org, extensionId }, body });
const detailOf = (event: Record<string, unknown>) => event.detail as Record<string, unknown>;
const field = (fieldId: string, orchestration = orchestrationId) => ({
  orchestrationId: orchestration,
  fieldId,
});

function captureLogs(stream: NodeJS.WriteStream): void {
  // The structured logger writes whole lines with write(); keep them instead of printing them.
  stream.write = ((chunk: string | Uint8Array) => {
    logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof stream.write;
}

beforeAll(async () => {
  vendor = await startFakeVendor();
  // Read by the function's composition root on first use, like a cold start's environment.
  process.env.ALLOWED_PRIVATE_WEBHOOK_HOSTS = 'localhost';
  process.env.WEBHOOK_CA_FILE = vendor.caFile;
  process.env.LOG_LEVEL = 'debug';
  captureLogs(process.stdout);
  captureLogs(process.stderr);
  owner = newUser('ext-owner');
  member = newUser('ext-member');
  orgId = await createOrg(owner, 'Extensions');
  await addMember(orgId, owner, member, 'member');
  orchestrationId = await createOrchestration(orgId, owner);
  jobId = await createJob(orgId, orchestrationId, owner, {
    title: 'Claim 1',
    email: EMAIL,
    phone: PHONE,
    amount: 12,
    ssn: SSN,
  });
});

afterAll(async () => {
  process.stdout.write = saved.stdout;
  process.stderr.write = saved.stderr;
  for (const name of ['ALLOWED_PRIVATE_WEBHOOK_HOSTS', 'WEBHOOK_CA_FILE', 'LOG_LEVEL']) {
    if (saved.env[name] === undefined) delete process.env[name];
    else process.env[name] = saved.env[name];
  }
  await vendor.stop();
});

beforeEach(() => vendor.reset());

test('every member sees the catalog, with no consent and no token yet', async () => {
  const answer = await call({ route: r.listExtensions, as: member, params: { orgId } });
  expect(answer.status).toBe(200);
  // Lists page in the order of their key (the extension id), like every list of the API.
  expect(answer.body.items.map((e: { extensionId: string }) => e.extensionId)).toEqual([
    'acme-crm',
    'custom-webhook',
    'postbox-campaigns',
  ]);
  expect(answer.body.nextCursor).toBeNull();
  for (const item of answer.body.items)
    expect(item).toMatchObject({ consent: null, tokenStored: false, tokenSetAt: null });
});

test('sharing without consent is a 409 /consent-required and sends nothing', async () => {
  const answer = await share(owner);
  expect(answer.status).toBe(409);
  expect(answer.body.type).toBe(`${PROBLEM}consent-required`);
  expect(vendor.received).toHaveLength(0);
});

describe('consent is refused for fields that do not fit', () => {
  test.each([
    [
      'a number field for an extension that uses text, email and phone',
      'acme-crm',
      () => ({
        fields: [field('amount')],
        purpose: 'CRM',
        webhookUrl: 'https://acme.hooks.acme-crm.example/custos/v1/contacts',
      }),
      'body.fields.0',
    ],
    [
      'an unknown field',
      'custom-webhook',
      () => ({ fields: [field('title'), field('nope')], purpose: 'Sync', webhookUrl: vendor.url() }),
      'body.fields.1',
    ],
    [
      'an unknown orchestration',
      'custom-webhook',
      () => ({
        fields: [field('title', '01J00000000000000000000000')],
        purpose: 'Sync',
        webhookUrl: vendor.url(),
      }),
      'body.fields.0',
    ],
    [
      'a field named twice',
      'custom-webhook',
      () => ({ fields: [field('title'), field('title')], purpose: 'Sync', webhookUrl: vendor.url() }),
      'body.fields.1',
    ],
    [
      'a per-organization webhook left out',
      'custom-webhook',
      () => ({ fields: [field('title')], purpose: 'Sync' }),
      'body.webhookUrl',
    ],
    [
      'a plain-http webhook',
      'custom-webhook',
      () => ({
        fields: [field('title')],
        purpose: 'Sync',
        webhookUrl: `http://localhost:${vendor.port}/hook`,
      }),
      'body.webhookUrl',
    ],
    [
      'a webhook outside the vendor pattern',
      'acme-crm',
      () => ({
        fields: [field('email')],
        purpose: 'CRM',
        webhookUrl: 'https://evil.example/custos/v1/contacts',
      }),
      'body.webhookUrl',
    ],
    [
      'a webhook for a fixed-endpoint extension',
      'postbox-campaigns',
      () => ({ fields: [field('email')], purpose: 'Mailing', webhookUrl: vendor.url() }),
      'body.webhookUrl',
    ],
  ])('%s → 400', async (_name, extensionId, body, path) => {
    const answer = await consent(owner, body(), extensionId);
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  test('an extension that is not in the catalog → 404', async () => {
    const answer = await consent(owner, { fields: [field('title')], purpose: 'x' }, 'no-such-extension');
    expect(answer.status).toBe(404);
  });
});

test('a member without extensions.manage may not consent, set a token, withdraw or share', async () => {
  const statuses = [
    (await consent(member, { fields: [field('title')], purpose: 'Sync', webhookUrl: vendor.url() })).status,
    (await setToken(member, { token: TOKEN })).status,
    (await call({ route: r.revokeExtension, as: member, params: { orgId, extensionId: 'custom-webhook' } }))
      .status,
  ];
  const ownJob = await createJob(orgId, orchestrationId, member, { title: 'Mine' });
  statuses.push((await share(member, ownJob)).status);
  expect(statuses).toEqual([403, 403, 403, 403]);
  expect(vendor.received).toHaveLength(0);
});

describe('a token that looks like a credential is refused, and never echoed', () => {
  test.each([
    ['a password field', { password: 'Tr0ub4dor&3-horse' }],
    ['username and password', { username: 'alice', password: 'Tr0ub4dor&3-horse' }],
    ['a token with a secret beside it', { token: 'vnd_Q2x8-Lk4mZ7pR3tW9yB6c', secret: 'Tr0ub4dor&3-horse' }],
    ['a short password', { token: 'hunter2hunter' }],
    ['a user:pass pair', { token: 'alice.smith:Tr0ub4dor3horse99' }],
    ['a chosen phrase', { token: 'CorrectHorseBatteryStaple' }],
  ])('%s → 400', async (_name, body) => {
    const answer = await setToken(owner, body);
    expect(answer.status).toBe(400);
    for (const value of Object.values(body)) expect(answer.text).not.toContain(value);
  });
});

describe('consent, token and sharing', () => {
  test('consent is recorded: who, when, which personal fields, purpose, version 1', async () => {
    const answer = await consent(owner, {
      fields: [field('title'), field('email'), field('ssn')],
      purpose: 'Claims follow-up in our ticketing tool',
      webhookUrl: vendor.url(),
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      extensionId: 'custom-webhook',
      version: 1,
      fields: [
        { orchestrationId, fieldId: 'title', personal: false },
        { orchestrationId, fieldId: 'email', personal: true },
        { orchestrationId, fieldId: 'ssn', personal: true },
      ],
      purpose: 'Claims follow-up in our ticketing tool',
      webhookUrl: vendor.url(),
      grantedBy: owner.sub,
      grantedAt: expect.any(String),
      signingSecret: expect.stringMatching(/^whsec_/),
    });
    vendor.trust(answer.body.signingSecret);
    // Returned once: the catalog does not show it, and it is stored sealed only.
    const listed = await call({ route: r.listExtensions, as: owner, params: { orgId } });
    expect(listed.text).not.toContain(answer.body.signingSecret);
    expect(JSON.stringify(await storedRecords(orgId, 'EXT#custom-webhook'))).not.toContain(
      answer.body.signingSecret,
    );
  });

  test('without a token, sharing is a 409 /token-required and sends nothing', async () => {
    const answer = await share(owner);
    expect(answer.status).toBe(409);
    expect(answer.body.type).toBe(`${PROBLEM}token-required`);
    expect(vendor.received).toHaveLength(0);
  });

  test('the token is stored sealed: 204, and the stored item holds ciphertext only', async () => {
    const answer = await setToken(owner, { token: TOKEN });
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    const [connection] = await storedRecords(orgId, 'EXT#custom-webhook');
    expect(connection).toMatchObject({ kind: 'extension', sealedToken: expect.any(String) });
    expect(JSON.stringify(connection)).not.toContain(TOKEN);
  });

  test('the vendor receives exactly the consented fields, with the stored token as bearer', async () => {
    const answer = await share(owner);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ shared: ['email', 'ssn', 'title'], vendorStatus: 200 });
    expect(vendor.received).toHaveLength(1);
    const [received] = vendor.received;
    expect(received!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(received!.signed).toBe(true);
    expect(received!.json).toMatchObject({
      event: 'job.shared',
      extensionId: 'custom-webhook',
      orgId,
      jobId,
      orchestrationId,
      consentVersion: 1,
      at: expect.any(String),
    });
    expect(received!.json.fields).toEqual({ title: 'Claim 1', email: EMAIL, ssn: SSN });
    expect(received!.body).not.toContain(PHONE);
  });

  test("the caller's field mask applies: a role that cannot read ssn does not send it", async () => {
    const roleId = await createRole(orgId, owner, {
      name: 'Integrator',
      permissions: ['extensions.manage', 'jobs.read_all'],
      fieldPermissions: { [orchestrationId]: { ssn: 'hidden' } },
    });
    const integrator = newUser('integrator');
    await addMember(orgId, owner, integrator, roleId);
    const answer = await share(integrator);
    expect(answer.body).toEqual({ shared: ['email', 'title'], vendorStatus: 200 });
    expect(vendor.received).toHaveLength(1);
    expect(vendor.received[0]!.json.fields).toEqual({ title: 'Claim 1', email: EMAIL });
    expect(vendor.received[0]!.body).not.toContain(SSN);
  });

  test('a restricted job is a 409 /restricted and nothing is sent', async () => {
    const restricted = await createJob(orgId, orchestrationId, owner, { title: 'Disputed', ssn: `R-${SSN}` });
    await restrictDirectly(orgId, restricted);
    const answer = await share(owner, restricted);
    expect(answer.status).toBe(409);
    expect(answer.body.type).toBe(`${PROBLEM}restricted`);
    expect(vendor.received).toHaveLength(0);
  });

  test('a new consent is version 2 and narrows what is sent; the catalog shows it without the token', async () => {
    const granted = await consent(owner, {
      fields: [field('title')],
      purpose: 'Titles only',
      webhookUrl: vendor.url(),
    });
    expect(granted.body.version).toBe(2);
    const shared = await share(owner);
    // Signed with the new consent's secret only: the first one (still trusted by the vendor) no longer verifies it.
    expect(vendor.received[0]!.signed).toBe(false);
    const signature = String(vendor.received[0]!.headers['custos-signature']);
    expect(
      verifySignature(
        granted.body.signingSecret,
        signature,
        Buffer.from(vendor.received[0]!.body),
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);
    vendor.trust(granted.body.signingSecret);
    expect(shared.body.shared).toEqual(['title']);
    expect(vendor.received[0]!.json.fields).toEqual({ title: 'Claim 1' });
    const listed = await call({ route: r.listExtensions, as: member, params: { orgId } });
    const custom = listed.body.items.find((e: { extensionId: string }) => e.extensionId === 'custom-webhook');
    expect(custom).toMatchObject({
      consent: { version: 2, purpose: 'Titles only', grantedBy: owner.sub },
      tokenStored: true,
      tokenSetAt: expect.any(String),
    });
    expect(listed.text).not.toContain(TOKEN);
  });

  test('each share is audited with its fields and vendor, never the values; refusals as refusals', async () => {
    const events = (await auditEvents(orgId)).filter((e) => e.action === 'job.share');
    const delivered = events.filter((e) => e.outcome === 'success');
    expect(delivered.map((e) => (e.changes as { fields: string[] }).fields)).toEqual([
      ['email', 'ssn', 'title'],
      ['email', 'title'],
      ['title'],
    ]);
    for (const event of delivered)
      expect(event.detail).toMatchObject({
        extensionId: 'custom-webhook',
        vendor: 'Your organization',
        deliveryId: expect.any(String),
        result: 'delivered',
        vendorStatus: 200,
      });
    // Without consent, without a token, and for the restricted job: recorded as denied, nothing sent.
    const refusals = events.filter((e) => e.outcome !== 'success');
    expect(
      refusals.map((e) => [e.outcome, detailOf(e).reason, (e.changes as { fields: string[] }).fields]),
    ).toEqual([
      ['denied', 'consent-required', []],
      ['denied', 'token-required', []],
      ['denied', 'restricted', []],
    ]);
    const everything = JSON.stringify(await auditEvents(orgId));
    for (const secret of [TOKEN, SSN, EMAIL, PHONE]) expect(everything).not.toContain(secret);
  });

  test('withdrawal deletes the token, keeps the history, and nothing is sent afterwards', async () => {
    const withdrawn = await call({
      route: r.revokeExtension,
      as: owner,
      params: { orgId, extensionId: 'custom-webhook' },
    });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({
      extensionId: 'custom-webhook',
      version: 3,
      withdrawnBy: owner.sub,
      tokenDeleted: true,
    });
    const answer = await share(owner);
    expect(answer.status).toBe(409);
    expect(answer.body.type).toBe(`${PROBLEM}consent-required`);
    expect(vendor.received).toHaveLength(0);
    const stored = await storedRecords(orgId, 'EXT#custom-webhook');
    expect(stored.find((item) => item.kind === 'extension')).not.toHaveProperty('sealedToken');
    expect(
      stored.filter((item) => item.kind === 'extension-consent').map((item) => [item.version, item.change]),
    ).toEqual([
      [1, 'grant'],
      [2, 'grant'],
      [3, 'withdrawal'],
    ]);
    const again = await call({
      route: r.revokeExtension,
      as: owner,
      params: { orgId, extensionId: 'custom-webhook' },
    });
    expect(again.status).toBe(404);
    const revokes = (await auditEvents(orgId)).filter((e) => e.action === 'extension.revoke');
    expect(revokes).toHaveLength(1);
  });
});

test('a webhook on a private address that is not explicitly allowed is refused, and nothing is sent', async () => {
  const other = newUser('ssrf-owner');
  const otherOrg = await createOrg(other, 'SSRF');
  const otherOrchestration = await createOrchestration(otherOrg, other);
  const otherJob = await createJob(otherOrg, otherOrchestration, other, { title: 'Internal' });
  const granted = await consent(
    other,
    {
      fields: [field('title', otherOrchestration)],
      purpose: 'Sync',
      webhookUrl: `https://127.0.0.1:${vendor.port}/hook`,
    },
    'custom-webhook',
    otherOrg,
  );
  expect(granted.status).toBe(201);
  expect((await setToken(other, { token: TOKEN }, 'custom-webhook', otherOrg)).status).toBe(204);
  const answer = await share(other, otherJob, 'custom-webhook', otherOrg);
  expect(answer.status).toBe(409);
  expect(answer.body.type).toBe(`${PROBLEM}webhook-refused`);
  expect(vendor.received).toHaveLength(0);
  // The guard's refusal is on record as one, with its event: never as a success.
  const records = await storedRecords(otherOrg, `SHARE#${otherJob}#`);
  expect(records.map((item) => [item.outcome, item.reason, item.extensionId])).toEqual([
    ['refused', 'webhook-refused', 'custom-webhook'],
  ]);
  const shares = (await auditEvents(otherOrg)).filter((e) => e.action === 'job.share');
  expect(shares.map((e) => [e.outcome, detailOf(e).result])).toEqual([['denied', 'refused']]);
});

test('a vendor that never accepts the share is recorded as failed, with a failure event', async () => {
  const other = newUser('failing-owner');
  const otherOrg = await createOrg(other, 'Failing vendor');
  const otherOrchestration = await createOrchestration(otherOrg, other);
  const otherJob = await createJob(otherOrg, otherOrchestration, other, { title: 'Sent, never accepted' });
  expect(
    (
      await consent(
        other,
        { fields: [field('title', otherOrchestration)], purpose: 'Sync', webhookUrl: vendor.url() },
        'custom-webhook',
        otherOrg,
      )
    ).status,
  ).toBe(201);
  expect((await setToken(other, { token: TOKEN }, 'custom-webhook', otherOrg)).status).toBe(204);
  vendor.script({ status: 500 }, { status: 500 }, { status: 500 });
  const answer = await share(other, otherJob, 'custom-webhook', otherOrg);
  expect(answer.body).toEqual({ shared: ['title'], vendorStatus: 500 });
  const records = await storedRecords(otherOrg, `SHARE#${otherJob}#`);
  expect(records.map((item) => [item.outcome, item.vendorStatus, item.fields])).toEqual([
    ['failed', 500, ['title']],
  ]);
  const shares = (await auditEvents(otherOrg)).filter((e) => e.action === 'job.share');
  expect(shares.map((e) => [e.outcome, detailOf(e).result, detailOf(e).vendorStatus])).toEqual([
    ['failure', 'failed', 500],
  ]);
});

test('the token appears in no raw table item, no log line and no response', async () => {
  const [records, audit] = await Promise.all([scanTableRaw('records'), scanTableRaw('audit')]);
  expect(JSON.stringify(records)).not.toContain(TOKEN);
  expect(JSON.stringify(audit)).not.toContain(TOKEN);
  // The capture is live: the shares above logged their deliveries.
  expect(logs.some((line) => line.includes('share delivered'))).toBe(true);
  expect(logs.join('')).not.toContain(TOKEN);
  expect(answers.length).toBeGreaterThan(20);
  for (const answer of answers) expect(answer.text).not.toContain(TOKEN);
});
