/** The audit log: list, export, verification and the digest public key. */
import { auditRoutes } from '../../shared/api/routes/audit.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import { createTokenVerifier } from '../../shared/http/token-verifier.ts';
import { ok } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';
import * as services from '../../shared/services.ts';
import { exportAuditLog, listAuditEvents } from '../../shared/use-cases/audit-query.ts';
import { auditPublicKey, verifyAuditLog } from '../../shared/use-cases/audit-verify.ts';

const r = auditRoutes;
const deps = services.atColdStart(() => ({
  orgs: services.orgs(),
  audit: services.auditLog(),
  cursors: services.cursors(),
  signer: services.digestSigner(),
  clock: services.clock(),
  retentionDays: services.auditRetentionDays(),
}));

export const operations = [
  operation(r.listAudit, async ({ ctx, params, query, cursorScope }) =>
    ok(await listAuditEvents(deps(), ctx, params.orgId, { ...query, scope: cursorScope })),
  ),
  operation(r.exportAudit, async ({ ctx, params, query }) => {
    const file = await exportAuditLog(deps(), ctx, params.orgId, query);
    return {
      status: 200,
      body: file.body,
      contentType: file.contentType,
      headers: {
        'content-disposition': `attachment; filename="${file.filename}"`,
        'cache-control': 'no-store',
      },
    };
  }),
  operation(r.verifyAudit, async ({ ctx, params }) => ok(await verifyAuditLog(deps(), ctx, params.orgId))),
  operation(r.auditPublicKey, async ({ ctx, params }) => ok(await auditPublicKey(deps(), ctx, params.orgId))),
];

export const handler = apiHandler('api-audit', operations, {
  verifier: createTokenVerifier(),
  onSecurityEvent: services.recordSecurityEvent,
});
