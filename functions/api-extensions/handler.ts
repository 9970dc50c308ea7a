/** Marketplace extensions: catalog and consent state, consent, vendor tokens, withdrawal, and sharing a job. */
import { extensionRoutes } from '../../shared/api/routes/extensions.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import { createTokenVerifier } from '../../shared/http/token-verifier.ts';
import { created, noContent, ok } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';
import { pageList } from '../../shared/use-cases/page-list.ts';
import * as services from '../../shared/services.ts';
import {
  grantConsent,
  listExtensions,
  revokeExtension,
  setExtensionToken,
} from '../../shared/use-cases/extensions.ts';
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
const shareDeps = services.atColdStart(() => ({
  ...deps(),
  jobs: services.jobs(),
  shares: services.shares(),
}));
/**
 * The webhook client is built on the first share, not at cold start: it reads only optional
 * settings (the private hosts and CA file that tests and the local stack alone set), so reading
 * them early catches no missing variable, and tests set them once their fake vendor is up.
 */
const shareWith = () => ({ ...shareDeps(), webhooks: services.webhooks() });
const cursors = services.cursors();

export const operations = [
  operation(r.listExtensions, async ({ ctx, params, query, cursorScope }) =>
    ok(
      pageList(
        await listExtensions(deps(), ctx, params.orgId),
        (e) => e.extensionId,
        query,
        cursors,
        cursorScope,
      ),
    ),
  ),
  operation(r.grantConsent, async ({ ctx, params, body }) =>
    created(await grantConsent(deps(), ctx, params.orgId, params.extensionId, body)),
  ),
  operation(r.setToken, async ({ ctx, params, body }) => {
    await setExtensionToken(deps(), ctx, params.orgId, params.extensionId, body);
    return noContent();
  }),
  operation(r.revokeExtension, async ({ ctx, params }) =>
    ok(await revokeExtension(deps(), ctx, params.orgId, params.extensionId)),
  ),
  operation(r.shareJob, async ({ ctx, params }) =>
    ok(await shareJob(shareWith(), ctx, params.orgId, params.jobId, params.extensionId)),
  ),
];

export const handler = apiHandler('api-extensions', operations, {
  verifier: createTokenVerifier(),
  onSecurityEvent: services.recordSecurityEvent,
});
