/**
 * Every mutating route writes exactly one audit event, driven from the route table: a route that
 * declares `audit` is called successfully (see audit-route-fixtures.ts for how) and the events
 * its call added to the organization's log (sequenced or not yet) are exactly one, with that action. A mutating route
 * that declares no `audit`, or an audited route without a fixture, fails here.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ROUTES } from '../../shared/api/routes/index.ts';
import { routeKey } from '../../shared/api/route.ts';
import { AuditedWriter } from '../../shared/adapters/aws/audited-writer.ts';
import { DynamoAuditLog } from '../../shared/adapters/aws/dynamo-audit-log.ts';
import type { ListedEvent } from '../../shared/ports/audit.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { createOrg } from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { ROUTE_FIXTURES } from './audit-route-fixtures.ts';
import { testEnv } from '../support/test-stack.ts';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Public routes with their own audit story (the download page audits through its use case). */
const mutatingRoutes = ROUTES.filter((route) => MUTATING.has(route.method) && route.auth === 'jwt');
const auditedRoutes = ROUTES.filter((route) => route.audit !== undefined);

let raw: DynamoDBClient;
let log: DynamoAuditLog;

beforeAll(() => {
  raw = new DynamoDBClient({});
  const documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  log = new DynamoAuditLog(
    documents,
    testEnv('AUDIT_TABLE'),
    new AuditedWriter(documents, testEnv('AUDIT_TABLE'), systemClock),
  );
});
afterAll(() => raw.destroy());

/** The organization's events, sequenced or not, newest first (the listing behind GET …/audit). */
async function eventsOf(orgId: string): Promise<ListedEvent[]> {
  const events: ListedEvent[] = [];
  let after: string | undefined;
  do {
    const page = await log.query({ orgId, limit: 100, ...(after === undefined ? {} : { after }) });
    events.push(...page.items);
    after = page.next ?? undefined;
  } while (after !== undefined);
  return events;
}

test.each(mutatingRoutes.map((route) => [routeKey(route), route] as const))(
  '%s declares its audit action',
  (_key, route) => {
    expect(route.audit).toEqual(expect.stringMatching(/^[a-z_]+(\.[a-z_]+)+$/));
  },
);

test.each(auditedRoutes.map((route) => [routeKey(route), route.audit, route] as const))(
  '%s writes exactly one %s event',
  async (key, action, route) => {
    // Prepare
    const fixture = ROUTE_FIXTURES[key];
    if (fixture === undefined)
      throw new Error(`No fixture for ${key}: add one to test/integration/audit-route-fixtures.ts`);
    const owner = newUser('owner');
    const orgId = await createOrg(owner, 'Audited');
    const call = await fixture({ orgId, owner });
    const caller = call.as ?? owner;
    const targetOrg = call.params?.orgId;
    const idsOf = async (org: string): Promise<ReadonlySet<string>> =>
      new Set((await eventsOf(org)).map((e) => e.eventId));
    const before = targetOrg === undefined ? new Set<string>() : await idsOf(targetOrg);
    const alsoBefore = await Promise.all(
      (call.alsoAudited ?? []).map(async (org) => [org, await idsOf(org)] as const),
    );
    // Act
    const answer = await callRoute({
      route,
      as: caller,
      ...(call.params ? { params: call.params } : {}),
      ...(call.query ? { query: call.query } : {}),
      ...(call.body !== undefined ? { body: call.body } : {}),
    });
    // Assess
    expect(answer.status).toBe(route.status);
    const auditedOrg = targetOrg ?? (answer.body as { orgId: string }).orgId;
    for (const [org, seen] of [[auditedOrg, before] as const, ...alsoBefore]) {
      const added = (await eventsOf(org)).filter((event) => !seen.has(event.eventId));
      // Reads of protected data the call made (decrypted fields) may add their own events beside it.
      const ofAction = added.filter((event) => event.action === action);
      expect({ org, events: ofAction.length }).toEqual({ org, events: 1 });
      expect(ofAction[0]).toMatchObject({
        outcome: 'success',
        actor: caller.sub,
        ip: '192.0.2.10',
        userAgent: 'custos-tests',
        ...call.event,
      });
    }
  },
);
