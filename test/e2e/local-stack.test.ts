/**
 * The local stack as a newcomer meets it: started in-process on a free port, spoken to over HTTP
 * only. Emulators, issuer, gateway and handlers are all real.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack.ts';
import { buildOpenApiDocument } from '../../shared/api/openapi.ts';
import { verifySignature } from '../../shared/domain/webhook-signature.ts';

let stack: LocalStack;

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'custos-e2e-'));
  stack = await startLocalStack({ port: 0, dataDir, fresh: true, quiet: true, schedulers: false });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

const call = (
  method: string,
  path: string,
  init: { token?: string; body?: string | Buffer; contentType?: string } = {},
) =>
  fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(init.token !== undefined ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body !== undefined ? { 'content-type': init.contentType ?? 'application/json' } : {}),
    },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });

async function tokenFor(sub: string): Promise<string> {
  const response = await call('POST', '/dev/token', {
    body: JSON.stringify({ sub, email: `${sub}@example.com` }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function expectProblem(response: Response, status: number): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = (await response.json()) as Record<string, unknown>;
  expect(problem).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  return problem;
}

describe('dev routes', () => {
  test('POST /dev/token issues a bearer token', async () => {
    // Act
    const response = await call('POST', '/dev/token', {
      body: JSON.stringify({ sub: 'user-a', email: 'a@example.com' }),
    });

    // Assess
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      token_type: 'Bearer',
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    });
    expect(body.expires_in).toBeGreaterThan(0);
  });

  test.each([['{}'], ['{"sub":"x"}'], ['{"sub":1,"email":"a@example.com"}'], ['not json']])(
    'POST /dev/token with %s → 400',
    async (body) => {
      await expectProblem(await call('POST', '/dev/token', { body }), 400);
    },
  );

  test('POST /dev/clock moves the domain clock forward', async () => {
    // Act
    const response = await call('POST', '/dev/clock', { body: JSON.stringify({ advanceSeconds: 3600 }) });

    // Assess
    expect(response.status).toBe(200);
    const { now } = (await response.json()) as { now: string };
    expect(Date.parse(now) - Date.now()).toBeGreaterThan(3590_000);
  });

  test('POST /dev/cleanup runs one clean-up cycle and answers with what it did', async () => {
    // Prepare: an organization whose owner asked for its deletion.
    const owner = await tokenFor('cleanup-owner');
    const created = await call('POST', '/v1/orgs', {
      token: owner,
      body: JSON.stringify({ name: 'Short-lived' }),
    });
    const { orgId } = (await created.json()) as { orgId: string };
    expect((await call('DELETE', `/v1/orgs/${orgId}`, { token: owner })).status).toBe(202);

    // Act
    const response = await call('POST', '/dev/cleanup');

    // Assess: the report names it (by hash only) as erased, and the organization is gone.
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const report = (await response.json()) as { organizations: { orgIdHash: string; done: boolean }[] };
    expect(report.organizations).toEqual([
      expect.objectContaining({ orgIdHash: createHash('sha256').update(orgId).digest('hex'), done: true }),
    ]);
    expect((await call('GET', `/v1/orgs/${orgId}`, { token: owner })).status).toBe(404);
  });

  test('GET /dev/mail lists the captured mail', async () => {
    // Prepare: a backup request makes the worker email the owner a link.
    const owner = await tokenFor('mail-owner');
    const { orgId } = (await (
      await call('POST', '/v1/orgs', { token: owner, body: JSON.stringify({ name: 'Mailbox' }) })
    ).json()) as { orgId: string };
    const requested = await call('POST', `/v1/orgs/${orgId}/backups`, {
      token: owner,
      body: JSON.stringify({ password: 'correct horse battery staple' }),
    });
    expect(requested.status).toBe(202);

    // Act: the poller delivers the work; wait for the mail to arrive.
    let mail: { to: string[]; subject: string; links: string[] }[] = [];
    for (let tries = 0; tries < 100 && mail.length === 0; tries += 1) {
      const response = await call('GET', '/dev/mail');
      expect(response.status).toBe(200);
      mail = ((await response.json()) as { items: typeof mail }).items.filter((item) =>
        item.to.includes('mail-owner@example.com'),
      );
      if (mail.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }

    // Assess
    expect(mail).toEqual([
      expect.objectContaining({
        subject: expect.any(String),
        links: [expect.stringContaining('/v1/backups/')],
      }),
    ]);
  });
});

describe('the local vendor sink', () => {
  test('a share to the sink URL arrives signed, and GET /dev/webhooks lists it', async () => {
    // Prepare: a job, a custom-webhook consent to the sink, and a token.
    const token = await tokenFor('sink-owner');
    const json = async (response: Response): Promise<Record<string, unknown>> =>
      (await response.json()) as Record<string, unknown>;
    const { sinkUrl } = (await json(await call('GET', '/dev/webhooks'))) as { sinkUrl: string };
    expect(sinkUrl).toMatch(/^https:\/\/localhost:\d+\/sink$/);
    const { orgId } = (await json(
      await call('POST', '/v1/orgs', { token, body: JSON.stringify({ name: 'Shares' }) }),
    )) as { orgId: string };
    const orchestration = {
      name: 'Tickets',
      stages: ['open'],
      fields: [{ id: 'title', label: 'Title', type: 'text' }],
    };
    const { orchestrationId } = (await json(
      await call('POST', `/v1/orgs/${orgId}/orchestrations`, { token, body: JSON.stringify(orchestration) }),
    )) as { orchestrationId: string };
    const { jobId } = (await json(
      await call('POST', `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs`, {
        token,
        body: JSON.stringify({ fields: { title: 'Sink ticket' } }),
      }),
    )) as { jobId: string };
    const consent = {
      fields: [{ orchestrationId, fieldId: 'title' }],
      purpose: 'Local demo',
      webhookUrl: `${sinkUrl}/tickets`,
    };
    const granted = await call('POST', `/v1/orgs/${orgId}/extensions/custom-webhook/consent`, {
      token,
      body: JSON.stringify(consent),
    });
    expect(granted.status).toBe(201);
    const { signingSecret } = (await json(granted)) as { signingSecret: string };
    expect(
      (
        await call('PUT', `/v1/orgs/${orgId}/extensions/custom-webhook/token`, {
          token,
          body: JSON.stringify({ token: 'vX7.kq2-Rm9_ZtP4wL8~sN3/bY6+Hc1=' }),
        })
      ).status,
    ).toBe(204);

    // Act
    const shared = await call('POST', `/v1/orgs/${orgId}/jobs/${jobId}/share/custom-webhook`, { token });

    // Assess: the sink got it at the consented path, signed with the consent's secret.
    expect(await json(shared)).toEqual({ shared: ['title'], vendorStatus: 200 });
    const { items } = (await json(await call('GET', '/dev/webhooks'))) as {
      items: { at: string; url: string; headers: Record<string, string>; body: string }[];
    };
    const item = items.find((entry) => entry.body.includes(jobId));
    expect(item).toMatchObject({ url: `${sinkUrl}/tickets`, at: expect.any(String) });
    expect(JSON.parse(item!.body)).toMatchObject({
      event: 'job.shared',
      orgId,
      jobId,
      fields: { title: 'Sink ticket' },
    });
    expect(
      verifySignature(
        signingSecret,
        item!.headers['custos-signature']!,
        Buffer.from(item!.body, 'utf8'),
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);
  });
});

describe('gateway', () => {
  test('an unknown route is a 404 problem', async () => {
    await expectProblem(await call('GET', '/v1/nowhere'), 404);
  });

  test('a known path with another method is a 404 problem', async () => {
    await expectProblem(await call('DELETE', '/v1/openapi.json'), 404);
  });

  test('a body over API Gateway’s 10 MB quota is a 413 problem', async () => {
    await expectProblem(await call('POST', '/v1/orgs', { body: Buffer.alloc(11 * 1024 * 1024, 0x20) }), 413);
  });

  test('GET /v1/openapi.json serves the OpenAPI document', async () => {
    const response = await call('GET', '/v1/openapi.json');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    // The whole document the route table builds, not just something shaped like one.
    expect(await response.json()).toEqual(buildOpenApiDocument());
  });
});

describe('organizations through the gateway', () => {
  test('the creator reads the organization; another user gets 404; nobody without a token gets in', async () => {
    // Prepare
    const owner = await tokenFor('owner-1');
    const stranger = await tokenFor('stranger-1');

    // Act
    const created = await call('POST', '/v1/orgs', { token: owner, body: JSON.stringify({ name: 'Acme' }) });

    // Assess
    expect(created.status).toBe(201);
    const org = (await created.json()) as { orgId: string; name: string };
    expect(org.name).toBe('Acme');
    expect((await call('GET', `/v1/orgs/${org.orgId}`, { token: owner })).status).toBe(200);
    await expectProblem(await call('GET', `/v1/orgs/${org.orgId}`, { token: stranger }), 404);
    await expectProblem(await call('GET', `/v1/orgs/${org.orgId}`), 401);
    await expectProblem(await call('POST', '/v1/orgs', { body: JSON.stringify({ name: 'No token' }) }), 401);
  });

  test('malformed JSON is a 400 problem', async () => {
    const token = await tokenFor('owner-2');

    await expectProblem(await call('POST', '/v1/orgs', { token, body: '{"name": ' }), 400);
  });

  test('a 2 MiB body is a 413 problem (the service allows 1 MiB)', async () => {
    const token = await tokenFor('owner-3');
    const body = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) });

    await expectProblem(await call('POST', '/v1/orgs', { token, body }), 413);
  });
});

describe('retention through the local stack', () => {
  test('past a rule, POST /dev/cleanup erases the due job and keeps the held one; the preview counted it', async () => {
    // Prepare: a one-day rule, a job, and a job under legal hold.
    const token = await tokenFor('owner-retention');
    const json = async (response: Response): Promise<Record<string, unknown>> =>
      (await response.json()) as Record<string, unknown>;
    const { orgId } = (await json(
      await call('POST', '/v1/orgs', { token, body: JSON.stringify({ name: 'Keeps nothing' }) }),
    )) as { orgId: string };
    const orchestration = {
      name: 'Tickets',
      stages: ['open', 'closed'],
      fields: [{ id: 'title', label: 'Title', type: 'text' }],
      retention: { days: 1, from: 'created', action: 'delete' },
    };
    const { orchestrationId } = (await json(
      await call('POST', `/v1/orgs/${orgId}/orchestrations`, { token, body: JSON.stringify(orchestration) }),
    )) as { orchestrationId: string };
    const newJob = async (): Promise<string> =>
      (
        (await json(
          await call('POST', `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs`, {
            token,
            body: JSON.stringify({ fields: { title: 'Ticket' } }),
          }),
        )) as { jobId: string }
      ).jobId;
    const [due, held] = [await newJob(), await newJob()];
    expect(
      (
        await call('PUT', `/v1/orgs/${orgId}/jobs/${held}/hold`, {
          token,
          body: JSON.stringify({ reason: 'Litigation' }),
        })
      ).status,
    ).toBe(200);
    const preview = async (): Promise<unknown> =>
      json(
        await call('GET', `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/retention/preview`, { token }),
      );
    expect(await preview()).toEqual({ due: 0 });

    // Act
    await call('POST', '/dev/clock', { body: JSON.stringify({ advanceSeconds: 2 * 24 * 3600 }) });
    const dueBefore = await preview();
    const cycle = await json(await call('POST', '/dev/cleanup'));

    // Assess
    expect(dueBefore).toEqual({ due: 1 });
    expect(cycle.retention).toMatchObject({ deleted: 1, complete: true });
    await expectProblem(await call('GET', `/v1/orgs/${orgId}/jobs/${due}`, { token }), 404);
    const kept = await call('GET', `/v1/orgs/${orgId}/jobs/${held}`, { token });
    expect(kept.status).toBe(200);
    expect(await json(kept)).toMatchObject({ legalHold: { reason: 'Litigation' } });
  });
});
