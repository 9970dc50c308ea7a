/**
 * The audit routes through the api-audit function: the filtered newest-first list with sealed
 * cursors, who may read it, reads audited, CSV export guarded against formula injection, verify,
 * and the offline verifier on the JSONL export with only the public key.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { auditRoutes } from '../../shared/api/routes/audit.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { addMember, createOrg } from './api/fixtures.ts';
import { callRoute, newUser, pathOf, type TestUser } from './api/invoke-route.ts';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { FunctionRuntime } from '../../infra/local/invoke.ts';
import { httpApiEvent } from '../../infra/local/lambda-events.ts';
import { functionNamed } from '../../infra/manifest.ts';
import { routeKey } from '../../shared/api/route.ts';
import { startTestSequencer, type TestSequencer } from '../support/audit-sequencer.ts';
import { bearer } from '../support/tokens.ts';

const run = promisify(execFile);

let sequencer: TestSequencer;
beforeAll(async () => {
  sequencer = await startTestSequencer();
});
afterAll(() => sequencer.stop());

/** callRoute parses every *json* media type as one JSON document; JSON lines are not one. */
async function exportJsonLines(as: TestUser, orgId: string): Promise<{ status: number; text: string }> {
  const route = auditRoutes.exportAudit;
  const event = httpApiEvent({
    method: route.method,
    rawPath: pathOf(route, { orgId }),
    rawQueryString: 'format=jsonl',
    headers: { host: 'localhost', 'user-agent': 'custos-tests', authorization: bearer(as) },
    body: Buffer.alloc(0),
    routeKey: routeKey(route),
    pathParameters: { orgId },
    sourceIp: '192.0.2.10',
  });
  const result = (await new FunctionRuntime().invoke(
    functionNamed(route.fn),
    event,
  )) as APIGatewayProxyStructuredResultV2;
  expect(result.headers?.['content-type']).toMatch(/^application\/x-ndjson/);
  return { status: result.statusCode ?? 200, text: result.body ?? '' };
}

test('owners list events newest first with filters and sealed cursors; reading is audited', async () => {
  // Prepare
  const owner = newUser('owner');
  const orgId = await createOrg(owner, 'Acme');
  await callRoute({
    route: orgRoutes.updateOrg,
    as: owner,
    params: { orgId },
    body: { name: '=HYPERLINK("x")' },
  });
  // Act
  const first = await callRoute({
    route: auditRoutes.listAudit,
    as: owner,
    params: { orgId },
    query: { limit: '1' },
  });
  const second = await callRoute({
    route: auditRoutes.listAudit,
    as: owner,
    params: { orgId },
    query: { limit: '1', cursor: first.body.nextCursor },
  });
  const filtered = await callRoute({
    route: auditRoutes.listAudit,
    as: owner,
    params: { orgId },
    query: { action: 'org.create' },
  });
  const cursor = String(first.body.nextCursor);
  const flipped = `${cursor.slice(0, 20)}${cursor[20] === 'A' ? 'B' : 'A'}${cursor.slice(21)}`;
  const forged = await callRoute({
    route: auditRoutes.listAudit,
    as: owner,
    params: { orgId },
    query: { cursor: flipped },
  });
  const afterReads = await callRoute({
    route: auditRoutes.listAudit,
    as: owner,
    params: { orgId },
    query: { action: 'audit.read' },
  });
  // Assess
  expect(first.status).toBe(200);
  expect(first.body.items.map((e: { action: string }) => e.action)).toEqual(['org.update']);
  expect(first.body.items[0]).toMatchObject({
    actor: { userId: owner.sub, email: owner.email },
    ip: '192.0.2.10',
    userAgent: 'custos-tests',
    outcome: 'success',
  });
  expect(second.body.items.map((e: { action: string }) => e.action)).toEqual(['org.create']);
  expect(filtered.body).toMatchObject({ items: [{ action: 'org.create' }], nextCursor: null });
  expect(forged.status).toBe(400);
  expect(afterReads.body.items.length).toBeGreaterThanOrEqual(3);
});

test('a member without audit.read gets 403, recorded as a security event; a stranger gets 404', async () => {
  const owner = newUser('owner');
  const member = newUser('member');
  const orgId = await createOrg(owner, 'Acme');
  await addMember(orgId, owner, member, 'admin');
  const denied = await callRoute({ route: auditRoutes.listAudit, as: member, params: { orgId } });
  const stranger = await callRoute({
    route: auditRoutes.verifyAudit,
    as: newUser('stranger'),
    params: { orgId },
  });
  const events = await callRoute({
    route: auditRoutes.listAudit,
    as: owner,
    params: { orgId },
    query: { action: 'security.denied' },
  });
  expect(denied.status).toBe(403);
  expect(stranger.status).toBe(404);
  expect(events.body.items).toEqual([
    expect.objectContaining({ actor: expect.objectContaining({ userId: member.sub }) }),
  ]);
});

test('the CSV export, verify, and the offline verifier checks the JSONL export', async () => {
  // Prepare
  const owner = newUser('owner');
  const orgId = await createOrg(owner, 'Acme');
  const dir = await mkdtemp(join(tmpdir(), 'custos-audit-'));
  await sequencer.caughtUp();
  // Act
  const csv = await callRoute({
    route: auditRoutes.exportAudit,
    as: owner,
    params: { orgId },
    query: { format: 'csv' },
  });
  // The export's own event is chained once the sequencer reached it.
  await sequencer.caughtUp();
  const verified = await callRoute({ route: auditRoutes.verifyAudit, as: owner, params: { orgId } });
  const key = await callRoute({ route: auditRoutes.auditPublicKey, as: owner, params: { orgId } });
  const jsonl = await exportJsonLines(owner, orgId);
  await writeFile(join(dir, 'key.pem'), key.body.publicKeyPem);
  await writeFile(join(dir, 'log.jsonl'), jsonl.text);
  await writeFile(
    join(dir, 'tampered.jsonl'),
    jsonl.text.replace('"action":"org.create"', '"action":"org.delete"'),
  );
  const cli = (log: string) =>
    run(join('node_modules', '.bin', 'tsx'), [
      'scripts/verify-audit.ts',
      '--public-key',
      join(dir, 'key.pem'),
      '--log',
      join(dir, log),
    ]).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
  const [good, bad] = [await cli('log.jsonl'), await cli('tampered.jsonl')];
  // Assess
  expect(csv.status).toBe(200);
  expect(csv.headers['content-type']).toMatch(/^text\/csv/);
  expect(csv.text).toContain('org.create');
  expect(verified.body).toMatchObject({ valid: true });
  expect(verified.body.events).toBe(2); // org.create and the CSV export's audit.export
  expect(good).toEqual({ code: 0, out: expect.stringMatching(/^VALID: /) });
  expect(bad).toEqual({ code: 1, out: expect.stringMatching(/^INVALID: broken at event 1 \(chain\)/) });
  expect(jsonl.text.split('\n')[0]).toContain('"type":"head"');
  // The sequencer's catching up is part of this test: it takes seconds on a busy machine.
}, 90_000);

test('the CSV export guards cells against formula injection', async () => {
  const owner = newUser('owner');
  const orgId = await createOrg(owner, 'Acme');
  await callRoute({
    route: orgRoutes.updateOrg,
    as: owner,
    params: { orgId },
    body: { name: 'Renamed' },
    headers: { 'user-agent': '=cmd|calc' },
  });
  const csv = await callRoute({ route: auditRoutes.exportAudit, as: owner, params: { orgId } });
  expect(csv.text).toContain("'=cmd|calc");
  expect(csv.text).not.toMatch(/(^|,)=cmd/m);
});
