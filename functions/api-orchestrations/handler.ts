/** Orchestrations: business-process blueprints (deleting one erases its jobs). */
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import { createTokenVerifier } from '../../shared/http/token-verifier.ts';
import { created, ok } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';
import { pageList } from '../../shared/use-cases/page-list.ts';
import * as services from '../../shared/services.ts';
import { previewRetention } from '../../shared/use-cases/retention.ts';
import {
  createOrchestration,
  deleteOrchestration,
  getOrchestration,
  listOrchestrations,
  updateOrchestration,
} from '../../shared/use-cases/orchestrations.ts';

const r = orchestrationRoutes;
const deps = services.atColdStart(() => ({
  orgs: services.orgs(),
  roles: services.roles(),
  orchestrations: services.orchestrations(),
  jobs: services.jobs(),
  clock: services.clock(),
}));
const cursors = services.cursors();

export const operations = [
  operation(r.listOrchestrations, async ({ ctx, params, query, cursorScope }) =>
    ok(
      pageList(
        await listOrchestrations(deps(), ctx, params.orgId),
        (o) => o.orchestrationId,
        query,
        cursors,
        cursorScope,
      ),
    ),
  ),
  operation(r.createOrchestration, async ({ ctx, params, body }) =>
    created(await createOrchestration(deps(), ctx, params.orgId, body)),
  ),
  operation(r.getOrchestration, async ({ ctx, params }) =>
    ok(await getOrchestration(deps(), ctx, params.orgId, params.orchestrationId)),
  ),
  operation(r.updateOrchestration, async ({ ctx, params, body }) =>
    ok(await updateOrchestration(deps(), ctx, params.orgId, params.orchestrationId, body)),
  ),
  operation(r.deleteOrchestration, async ({ ctx, params }) =>
    ok(await deleteOrchestration(deps(), ctx, params.orgId, params.orchestrationId)),
  ),
  operation(r.previewRetention, async ({ ctx, params }) =>
    ok(await previewRetention(deps(), ctx, params.orgId, params.orchestrationId)),
  ),
];

export const handler = apiHandler('api-orchestrations', operations, {
  verifier: createTokenVerifier(),
  onSecurityEvent: services.recordSecurityEvent,
});
