/** Marketplace extensions: catalog and consent state, consent, vendor tokens, withdrawal, and sharing a job. */
import { extensionRoutes } from '../../shared/api/routes/extensions.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import { created, noContent, ok } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';
import { pageList } from '../../shared/use-cases/page-list.ts';
import * as services from '../../shared/services.ts';
import { grantConsent, listExtensions, revokeExtension, setExtensionToken } from '../../shared/use-cases/extensions.ts';
import { shareJob } from '../../shared/use-cases/extensions-share.ts';

const r = extensionRoutes;
const deps = services.atColdStart(() => ({
  orgs: services.orgs(),
  orchestrations: services.orchestrations(),
  extensions: services.extensions(),
  keys: services.keys(),
  clock: services.clock(),
  catalog: services.extensionCatalog(),
}));
const shareDeps = services.atColdStart(() => ({ ...deps(), jobs: services.jobs(), webhooks: services.webhooks(), shares: services.shares() }));
const cursors = services.cursors();

export const operations = [
  operation(r.listExtensions, async ({ ctx, params, query, cursorScope }) =>
    ok(pageList(await listExtensions(deps(), ctx, params.orgId), (e) => e.extensionId, query, cursors, cursorScope)),
  ),
  operation(r.grantConsent, async ({ ctx, params, body }) => created(await grantConsent(deps(), ctx, params.orgId, params.extensionId, body))),
  operation(r.setToken, async ({ ctx, params, body }) => {
    await setExtensionToken(deps(), ctx, params.orgId, params.extensionId, body);
    return noContent();
  }),
  operation(r.revokeExtension, async ({ ctx, params }) => ok(await revokeExtension(deps(), ctx, params.orgId, params.extensionId))),
  operation(r.shareJob, async ({ ctx, params }) => ok(await shareJob(shareDeps(), ctx, params.orgId, params.jobId, params.extensionId))),
];

export const handler = apiHandler('api-extensions', operations, { onSecurityEvent: services.recordSecurityEvent });
