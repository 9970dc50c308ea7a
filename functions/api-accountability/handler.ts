/** Accountability: the record of processing activities (Art. 30) and the scope of an incident (Art. 33). */
import { accountabilityRoutes } from '../../shared/api/routes/accountability.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import { createTokenVerifier } from '../../shared/http/token-verifier.ts';
import { ok } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';
import * as services from '../../shared/services.ts';
import { scopeIncident } from '../../shared/use-cases/incident-scope.ts';
import { recordsOfProcessing } from '../../shared/use-cases/records-of-processing.ts';

const r = accountabilityRoutes;
const recordDeps = services.atColdStart(() => ({
  orgs: services.orgs(),
  orchestrations: services.orchestrations(),
  extensions: services.extensions(),
  roles: services.roles(),
  catalog: services.extensionCatalog(),
  audit: services.auditLog(),
  clock: services.clock(),
}));
const scopeDeps = services.atColdStart(() => ({
  orgs: services.orgs(),
  orchestrations: services.orchestrations(),
  jobs: services.jobs(),
  portability: services.portability(),
  audit: services.auditLog(),
  cursors: services.cursors(),
}));

export const operations = [
  operation(r.recordsOfProcessing, async ({ ctx, params, query }) => {
    const answer = await recordsOfProcessing(recordDeps(), ctx, params.orgId, query.format);
    if (answer.format === 'json') return ok(answer.record);
    return {
      status: 200,
      body: answer.body,
      contentType: answer.contentType,
      headers: {
        'content-disposition': `attachment; filename="${answer.fileName}"`,
        'cache-control': 'no-store',
      },
    };
  }),
  operation(r.scopeIncident, async ({ ctx, params, body, cursorScope }) =>
    ok(await scopeIncident(scopeDeps(), ctx, params.orgId, { ...body, scope: cursorScope })),
  ),
];

export const handler = apiHandler('api-accountability', operations, {
  verifier: createTokenVerifier(),
  onSecurityEvent: services.recordSecurityEvent,
});
