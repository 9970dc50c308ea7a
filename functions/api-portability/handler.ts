/** Data portability: job exports (one at once, all in the background) and organization backups. */
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import { attachmentDisposition } from '../../shared/http/content-disposition.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import { createTokenVerifier } from '../../shared/http/token-verifier.ts';
import { accepted, ok } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';
import { filesOnFirstUse } from '../../shared/files-on-first-use.ts';
import * as services from '../../shared/services.ts';
import { getBackupStatus, requestBackup } from '../../shared/use-cases/backups.ts';
import { exportJob, getExportStatus, requestExport } from '../../shared/use-cases/exports.ts';

const r = portabilityRoutes;
// S3 only for a ready export's or backup's status: loaded then, not at cold start.
const deps = services.atColdStart(() => ({ ...services.exportDeps(), files: filesOnFirstUse() }));

export const operations = [
  operation(r.createExport, async ({ ctx, params, body }) =>
    accepted(await requestExport(deps(), ctx, params.orgId, body)),
  ),
  operation(r.getExport, async ({ ctx, params }) =>
    ok(await getExportStatus(deps(), ctx, params.orgId, params.exportId)),
  ),
  operation(r.exportJob, async ({ ctx, params, query }) => {
    const file = await exportJob(deps(), ctx, params.orgId, params.jobId, query.format);
    return {
      status: 200,
      body: file.body,
      contentType: file.contentType,
      headers: { 'content-disposition': attachmentDisposition(file.fileName) },
    };
  }),
  operation(r.createBackup, async ({ ctx, params, body }) =>
    accepted(await requestBackup(deps(), ctx, params.orgId, body)),
  ),
  operation(r.getBackup, async ({ ctx, params }) =>
    ok(await getBackupStatus(deps(), ctx, params.orgId, params.backupId)),
  ),
];

export const handler = apiHandler('api-portability', operations, {
  verifier: createTokenVerifier(),
  onSecurityEvent: services.recordSecurityEvent,
});
