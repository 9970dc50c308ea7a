/**
 * Issue 16 end to end: each escalation it reproduced, over HTTP against the local stack started
 * in-process (gateway, handlers, emulators, issuer and queue poller all real), now refused — and
 * access checked when it is used, for the removed owner's backup link and the demoted
 * requester's export. Also the two contract fixes: numbers the store cannot hold are a 400, and
 * DELETE …/restriction works without a body.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../infra/local/local-stack.ts';

let stack: LocalStack;

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'custos-e2e-escalation-'));
  stack = await startLocalStack({ port: 0, dataDir, fresh: true, quiet: true, schedulers: false });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

interface Answer {
  readonly status: number;
  // Bodies are whatever the route answers; the tests narrow them with expectations.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  readonly headers: Headers;
}

async function call(
  method: string,
  path: string,
  init: { token?: string; json?: unknown; raw?: string; form?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.json !== undefined || init.raw !== undefined) {
    headers['content-type'] = 'application/json';
    body = init.raw ?? JSON.stringify(init.json);
  } else if (init.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers,
    redirect: 'manual',
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  const isJson = /json/.test(response.headers.get('content-type') ?? '');
  return {
    status: response.status,
    body: isJson && text !== '' ? JSON.parse(text) : text,
    headers: response.headers,
  };
}

let counter = 0;
async function user(label: string): Promise<{ sub: string; email: string; token: string }> {
  counter += 1;
  const sub = `${label}-${counter}-${Date.now()}`;
  const email = `${sub}@example.com`;
  const answer = await call('POST', '/dev/token', { json: { sub, email } });
  return { sub, email, token: answer.body.access_token as string };
}

async function expectStatus(answer: Promise<Answer>, status: number): Promise<Answer> {
  const result = await answer;
  expect({ status: result.status, body: result.body }).toMatchObject({ status });
  return result;
}

const FIELDS = [
  { id: 'title', label: 'Title', type: 'text' },
  { id: 'phone', label: 'Phone', type: 'phone', personal: true, encrypted: true },
  { id: 'amount', label: 'Amount', type: 'number' },
];

let owner: Awaited<ReturnType<typeof user>>;
let orgId: string;
let orchestrationId: string;

beforeAll(async () => {
  owner = await user('owner');
  orgId = (
    await expectStatus(
      call('POST', '/v1/orgs', { token: owner.token, json: { name: 'Escalation Ltd' } }),
      201,
    )
  ).body.orgId;
  orchestrationId = (
    await expectStatus(
      call('POST', `/v1/orgs/${orgId}/orchestrations`, {
        token: owner.token,
        json: { name: 'Calls', stages: ['new'], fields: FIELDS },
      }),
      201,
    )
  ).body.orchestrationId;
}, 60_000);

async function memberWithRole(
  permissions: string[],
  fieldPermissions: Record<string, Record<string, string>> = {},
) {
  const role = await expectStatus(
    call('POST', `/v1/orgs/${orgId}/roles`, {
      token: owner.token,
      json: { name: `Role ${counter}`, permissions, fieldPermissions },
    }),
    201,
  );
  const person = await user('custom');
  await expectStatus(
    call('POST', `/v1/orgs/${orgId}/members`, {
      token: owner.token,
      json: { userId: person.sub, email: person.email, role: role.body.roleId },
    }),
    201,
  );
  return { ...person, roleId: role.body.roleId as string };
}

async function addAs(token: string, role: string, expected: number) {
  const person = await user('added');
  await expectStatus(
    call('POST', `/v1/orgs/${orgId}/members`, {
      token,
      json: { userId: person.sub, email: person.email, role },
    }),
    expected,
  );
  return person;
}

describe('escalation by granting, refused (403) and audited', () => {
  test('members.manage alone cannot make its holder an admin, nor add an admin', async () => {
    const manager = await memberWithRole(['members.manage']);
    await expectStatus(
      call('PATCH', `/v1/orgs/${orgId}/members/${manager.sub}`, {
        token: manager.token,
        json: { role: 'admin' },
      }),
      403,
    );
    await addAs(manager.token, 'admin', 403);
    const members = await expectStatus(
      call('GET', `/v1/orgs/${orgId}/members?limit=100`, { token: owner.token }),
      200,
    );
    expect(members.body.items.find((m: { userId: string }) => m.userId === manager.sub).role).toBe(
      manager.roleId,
    );
    const audit = await expectStatus(
      call('GET', `/v1/orgs/${orgId}/audit?actor=${encodeURIComponent(manager.sub)}&limit=100`, {
        token: owner.token,
      }),
      200,
    );
    expect(audit.body.items.map((e: { outcome: string }) => e.outcome)).toEqual(['denied', 'denied']);
  });

  test('an admin cannot add an account with a role holding audit.read, nor create such a role', async () => {
    const admin = await addAs(owner.token, 'admin', 201);
    const auditor = await expectStatus(
      call('POST', `/v1/orgs/${orgId}/roles`, {
        token: owner.token,
        json: { name: 'Auditors', permissions: ['audit.read'] },
      }),
      201,
    );
    await addAs(admin.token, auditor.body.roleId as string, 403);
    await expectStatus(
      call('POST', `/v1/orgs/${orgId}/roles`, {
        token: admin.token,
        json: { name: 'Own auditors', permissions: ['audit.read'] },
      }),
      403,
    );
  });

  test('roles.manage with phone hidden cannot widen its own field permission, nor read the phone numbers', async () => {
    const editor = await memberWithRole(['roles.manage', 'jobs.read_all'], {
      [orchestrationId]: { phone: 'hidden' },
    });
    const job = await expectStatus(
      call('POST', `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs`, {
        token: owner.token,
        json: { fields: { title: 'Call back', phone: '+442079460001' } },
      }),
      201,
    );
    await expectStatus(
      call('PATCH', `/v1/orgs/${orgId}/roles/${editor.roleId}`, {
        token: editor.token,
        json: { fieldPermissions: { [orchestrationId]: { phone: 'write' } } },
      }),
      403,
    );
    await expectStatus(
      call('POST', `/v1/orgs/${orgId}/roles`, {
        token: editor.token,
        json: { name: 'Wider', permissions: [] },
      }),
      403,
    );
    const read = await expectStatus(
      call('GET', `/v1/orgs/${orgId}/jobs/${job.body.jobId}`, { token: editor.token }),
      200,
    );
    expect(read.body.fields).not.toHaveProperty('phone');
  });
});

describe('access checked when it is used', () => {
  test("a removed owner's emailed backup link no longer opens (410), even with the right password", async () => {
    const coOwner = await addAs(owner.token, 'owner', 201);
    const password = 'a backup passphrase long enough';
    const backup = await expectStatus(
      call('POST', `/v1/orgs/${orgId}/backups`, { token: coOwner.token, json: { password } }),
      202,
    );
    const backupId = backup.body.backupId as string;
    let link: string | undefined;
    for (let i = 0; i < 300 && link === undefined; i += 1) {
      const mail = await call('GET', '/dev/mail');
      link = (mail.body.items as { links: string[] }[])
        .flatMap((m) => m.links)
        .find((l) => l.includes(backupId));
      if (link === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(link).toBeDefined();
    const token = new URL(link!).searchParams.get('token')!;
    const path = `/v1/backups/${backupId}/download`;
    expect((await call('GET', `${path}?token=${token}`)).status).toBe(200);
    await expectStatus(
      call('DELETE', `/v1/orgs/${orgId}/members/${coOwner.sub}`, { token: owner.token }),
      204,
    );
    expect((await call('GET', `${path}?token=${token}`)).status).toBe(410);
    const submitted = await call('POST', path, { form: { token, password } });
    expect(submitted.status).toBe(410);
    expect(submitted.headers.get('location')).toBeNull();
  }, 90_000);

  test('a requester demoted from admin to member gets no fresh downloadUrl for their export (403)', async () => {
    const admin = await addAs(owner.token, 'admin', 201);
    const created = await expectStatus(
      call('POST', `/v1/orgs/${orgId}/exports`, { token: admin.token, json: { format: 'csv' } }),
      202,
    );
    const path = `/v1/orgs/${orgId}/exports/${created.body.exportId}`;
    let status = '';
    for (let i = 0; i < 300 && status !== 'ready'; i += 1) {
      status = (await call('GET', path, { token: admin.token })).body.status as string;
      if (status !== 'ready') await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await call('GET', path, { token: admin.token })).body.downloadUrl).toEqual(expect.any(String));
    await expectStatus(
      call('PATCH', `/v1/orgs/${orgId}/members/${admin.sub}`, {
        token: owner.token,
        json: { role: 'member' },
      }),
      200,
    );
    const after = await expectStatus(call('GET', path, { token: admin.token }), 403);
    expect(JSON.stringify(after.body)).not.toContain('X-Amz-');
  }, 90_000);
});

describe('the contract fixes', () => {
  test.each(['1e308', '-1e308', '1e-200', '1e400'])(
    'a job field of %s is a 400 naming the field, on create and PATCH, never a 5xx',
    async (number) => {
      const raw = `{"fields":{"amount":${number}}}`;
      const created = await expectStatus(
        call('POST', `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs`, { token: owner.token, raw }),
        400,
      );
      expect(created.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.fields.amount']);
      const job = await expectStatus(
        call('POST', `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs`, {
          token: owner.token,
          json: { fields: { amount: 1 } },
        }),
        201,
      );
      const patched = await expectStatus(
        call('PATCH', `/v1/orgs/${orgId}/jobs/${job.body.jobId}`, { token: owner.token, raw }),
        400,
      );
      expect(patched.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.fields.amount']);
    },
  );

  test('DELETE …/restriction without a body lifts the restriction', async () => {
    const job = await expectStatus(
      call('POST', `/v1/orgs/${orgId}/orchestrations/${orchestrationId}/jobs`, {
        token: owner.token,
        json: { fields: { title: 'Disputed' } },
      }),
      201,
    );
    const path = `/v1/orgs/${orgId}/jobs/${job.body.jobId}/restriction`;
    await expectStatus(
      call('PUT', path, { token: owner.token, json: { reason: 'Accuracy contested' } }),
      200,
    );
    const lifted = await expectStatus(call('DELETE', path, { token: owner.token }), 200);
    expect(lifted.body).toMatchObject({ restricted: false });
  });
});
