/** Data subject requests: the public intake and verification, and the case staff work. */
import { requestRoutes } from '../../shared/api/routes/requests.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import { createTokenVerifier } from '../../shared/http/token-verifier.ts';
import { accepted, ok } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';
import { mailerOnFirstUse } from '../../shared/mailer-on-first-use.ts';
import * as services from '../../shared/services.ts';
import { pageList } from '../../shared/use-cases/page-list.ts';
import {
  assignRequest,
  extendRequest,
  getRequest,
  listRequests,
  rejectRequest,
} from '../../shared/use-cases/request-cases.ts';
import { fulfilRequest } from '../../shared/use-cases/request-fulfilment.ts';
import { submitRequest, verifyRequest } from '../../shared/use-cases/request-intake.ts';

const r = requestRoutes;
// Only an intake and some case steps mail; reading and assigning cases do not.
const deps = services.atColdStart(() => ({
  orgs: services.orgs(),
  requests: services.subjectRequests(),
  keys: services.keys(),
  clock: services.clock(),
  mailer: mailerOnFirstUse(),
  audit: services.writer(),
}));
/**
 * Fulfilment runs the job and subject use cases, which tell the recipients of what they change
 * (Art. 19), and queues the report of an access or portability request for the portability worker.
 */
const fulfilDeps = services.atColdStart(() => ({
  ...services.jobDeps(),
  cursors: services.cursors(),
  shares: services.shares(),
  notices: services.noticeQueue(),
  queue: services.workQueue(),
  ...deps(),
}));
const cursors = services.cursors();

export const operations = [
  operation(r.submitRequest, async ({ ctx, params, body }) =>
    accepted(await submitRequest(deps(), ctx, params.orgId, body)),
  ),
  operation(r.verifyRequest, async ({ ctx, params, body }) =>
    ok(await verifyRequest(deps(), ctx, params.requestId, body.code)),
  ),
  operation(r.listRequests, async ({ ctx, params, query, cursorScope }) => {
    const { limit, cursor, ...filter } = query;
    const items = await listRequests(deps(), ctx, params.orgId, filter);
    return ok(pageList(items, (item) => item.requestId, { limit, cursor }, cursors, cursorScope));
  }),
  operation(r.getRequest, async ({ ctx, params }) =>
    ok(await getRequest(deps(), ctx, params.orgId, params.requestId)),
  ),
  operation(r.assignRequest, async ({ ctx, params, body }) =>
    ok(await assignRequest(deps(), ctx, params.orgId, params.requestId, body)),
  ),
  operation(r.extendRequest, async ({ ctx, params, body }) =>
    ok(await extendRequest(deps(), ctx, params.orgId, params.requestId, body)),
  ),
  operation(r.fulfilRequest, async ({ ctx, params, body }) =>
    ok(await fulfilRequest(fulfilDeps(), ctx, params.orgId, params.requestId, body)),
  ),
  operation(r.rejectRequest, async ({ ctx, params, body }) =>
    ok(await rejectRequest(deps(), ctx, params.orgId, params.requestId, body)),
  ),
];

export const handler = apiHandler('api-requests', operations, {
  verifier: createTokenVerifier(),
  onSecurityEvent: services.recordSecurityEvent,
});
