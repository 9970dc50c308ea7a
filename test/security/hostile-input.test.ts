/**
 * Hostile input against EVERY route of the route table, through the real handlers on the
 * emulators, with a valid owner token of a real seeded organization (so requests get past
 * authentication and reach parsing, validation, the use cases and the adapters). For each
 * generated request:
 *   - never a 5xx;
 *   - every 4xx is application/problem+json whose `status` is the answer's (the download page's
 *     and the request report page's own HTML answers excepted: those routes are browser pages by design, see HTML_PAGES);
 *   - a 4xx writes nothing: the organization's records and audit partitions, read raw, are
 *     byte-identical before and after, and no DynamoDB write command succeeded in between — with
 *     one exception accounted for exactly: a 403 appends one `security.denied` event, nothing
 *     else (its place in the chain is the sequencer's, later);
 *   - Object.prototype is never polluted.
 * FUZZ_RUNS sets the requests per route (default 100).
 */
import fc from 'fast-check';
import { dynamoDocumentClient } from '../../shared/adapters/aws/clients.ts';
import { routeKey } from '../../shared/api/route.ts';
import { ROUTES } from '../../shared/api/routes/index.ts';
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { callRoute } from '../integration/api/invoke-route.ts';
import { sendRaw } from '../support/api-client.ts';
import {
  DYNAMO_WRITES,
  observeCommands,
  type CommandLog,
  type MiddlewareHost,
} from '../support/fault-injection.ts';
import { bearer } from '../support/tokens.ts';
import { hostileRequest, type HostileRequest, type RouteWorld } from './hostile-input.ts';
import { attribute, changes, partitionState, type PartitionState } from './partition-state.ts';
import { seedOrg, type SeededOrg } from './world.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
/** Routes that answer HTML pages (the emailed download link): their own 4xx pages are HTML. */
const HTML_PAGES = new Set([
  'GET /v1/backups/{backupId}/download',
  'POST /v1/backups/{backupId}/download',
  'GET /v1/requests/{requestId}/report',
  'POST /v1/requests/{requestId}/report',
]);

let home: SeededOrg;
let foreign: SeededOrg;
let world: RouteWorld;
let commands: CommandLog;

beforeAll(async () => {
  // Observe before seeding, so the guard test below can prove the observer sees the handlers' calls.
  commands = observeCommands(dynamoDocumentClient() as unknown as MiddlewareHost);
  [home, foreign] = await Promise.all([seedOrg('fuzz'), seedOrg('fuzz-foreign', { portability: false })]);
  world = {
    ids: home.ids,
    // Real ids of both organizations: one in the place of another, or another tenant's, must be a 4xx.
    allIds: [...Object.values(home.ids), ...Object.values(foreign.ids)],
    cursors: [...home.cursors, ...foreign.cursors],
  };
}, 120_000);

afterAll(() => commands.remove());

const successfulWrites = (log: CommandLog): string[] =>
  log.calls.filter((c) => c.succeeded && DYNAMO_WRITES.has(c.command)).map((c) => c.command);

function describeRequest(request: HostileRequest): string {
  const clip = (s: string | undefined) =>
    s === undefined
      ? '(none)'
      : s.length > 300
        ? `${JSON.stringify(s.slice(0, 300))}… (${s.length} chars)`
        : JSON.stringify(s);
  return `attack=${request.attack} params=${JSON.stringify(request.params).slice(0, 300)} query=${clip(request.rawQueryString)} headers=${JSON.stringify(request.headers)} body=${clip(request.body)}`;
}

/** The one change a 403 may make: one appended event, `security.denied` by the caller (its place in the chain is the sequencer's, later). */
function expectOnlySecurityEvent(
  before: PartitionState,
  after: PartitionState,
  routeKeyOfRequest: string,
): void {
  const audit = changes(before.audit, after.audit);
  expect(audit.removed).toEqual([]);
  expect(audit.added).toHaveLength(1);
  expect(audit.changed).toEqual([]);
  const added = after.audit.get(audit.added[0]!);
  expect(attribute(added, 'action')).toBe('security.denied');
  expect(attribute(added, 'outcome')).toBe('denied');
  expect(attribute(added, 'actor')).toBe(home.owner.sub);
  expect(added).toContain(routeKeyOfRequest);
}

test('the observer sees the calls the handlers make (so "no write" below is not vacuous)', async () => {
  commands.clear();
  const answer = await callRoute({
    route: orgRoutes.updateOrg,
    as: home.owner,
    params: { orgId: home.orgId },
    body: { name: 'fuzz org' },
  });
  expect(answer.status).toBe(200);
  expect(successfulWrites(commands)).toEqual(['TransactWriteItems']);
});

const CASES = ROUTES.map((route) => [routeKey(route), RUNS, route] as const);

test.each(CASES)(
  '%s: %i hostile requests, never 5xx, problem+json 4xx, nothing written on 4xx',
  async (key, runs, route) => {
    let before = await partitionState(home.orgId);
    const authorization = bearer(home.owner);
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(hostileRequest(route, world), async (request) => {
        commands.clear();
        const answer = await sendRaw({
          route,
          params: request.params,
          rawQueryString: request.rawQueryString,
          headers: { ...request.headers, authorization },
          ...(request.body === undefined ? {} : { body: request.body }),
        });
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const context = `${key} answered ${answer.status} to ${describeRequest(request)}: ${answer.text.slice(0, 300)}`;
        expect({ context, serverError: answer.status >= 500 }).toEqual({ context, serverError: false });
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();

        const after = await partitionState(home.orgId);
        if (answer.status >= 400) {
          const html = HTML_PAGES.has(key) && answer.headers['content-type']?.startsWith('text/html');
          if (!html) {
            expect({ context, contentType: answer.headers['content-type'] }).toEqual({
              context,
              contentType: 'application/problem+json',
            });
            expect((JSON.parse(answer.text) as { status: number }).status).toBe(answer.status);
          }
          expect(changes(before.records, after.records)).toEqual({ added: [], removed: [], changed: [] });
          if (answer.status === 403) {
            expectOnlySecurityEvent(before, after, key);
            // The security event alone: one conditional PutItem (docs/decisions/0022).
            expect({ context, writes: successfulWrites(commands) }).toEqual({
              context,
              writes: ['PutItem'],
            });
          } else {
            expect({ context, audit: changes(before.audit, after.audit) }).toEqual({
              context,
              audit: { added: [], removed: [], changed: [] },
            });
            expect({ context, writes: successfulWrites(commands) }).toEqual({ context, writes: [] });
          }
        }
        before = after;
      }),
      { numRuns: runs, endOnFailure: true },
    );
    // A route that checks ids, a body or a query must refuse some of this: a generator that only
    // produced valid requests would test little. (Routes with none of those only get noise.)
    const refused = [...statuses].filter(([s]) => s >= 400).reduce((n, [, c]) => n + c, 0);
    if (route.body !== undefined || route.query !== undefined || route.params !== undefined)
      expect(refused).toBeGreaterThan(runs / 2);
  },
  120_000,
);
