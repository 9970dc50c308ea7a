/** Data subject rights: access report, rectification of the subject's email, erasure, restriction. */
import { subjectRoutes } from '../../shared/api/routes/subjects.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import { createTokenVerifier } from '../../shared/http/token-verifier.ts';
import { ok } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';
import * as services from '../../shared/services.ts';
import { subjectAccessReport } from '../../shared/use-cases/subject-access.ts';
import { eraseSubject } from '../../shared/use-cases/subject-erasure.ts';
import { rectifySubject } from '../../shared/use-cases/subject-rectification.ts';
import { restrictSubject } from '../../shared/use-cases/subject-restriction.ts';
import { recipientRoutes } from '../../shared/api/routes/recipients.ts';
import { subjectRecipients } from '../../shared/use-cases/recipients.ts';

const r = subjectRoutes;
/**
 * The job use cases' dependencies, the share records and notice queue of Art. 19, and the data
 * subject requests (an erasure erases the subject's requests too).
 */
const deps = services.atColdStart(() => ({
  ...services.jobDeps(),
  shares: services.shares(),
  notices: services.noticeQueue(),
  requests: services.subjectRequests(),
}));

export const operations = [
  operation(r.subjectAccess, async ({ ctx, params, body }) => {
    const report = await subjectAccessReport(
      { ...deps(), catalog: services.extensionCatalog() },
      ctx,
      params.orgId,
      body,
    );
    return { status: 200, body: report.body, contentType: report.contentType };
  }),
  operation(r.subjectRectification, async ({ ctx, params, body }) =>
    ok(await rectifySubject(deps(), ctx, params.orgId, body)),
  ),
  operation(r.subjectErasure, async ({ ctx, params, body }) =>
    ok(await eraseSubject(deps(), ctx, params.orgId, body)),
  ),
  operation(r.subjectRestriction, async ({ ctx, params, body }) =>
    ok(await restrictSubject(deps(), ctx, params.orgId, body)),
  ),
  operation(recipientRoutes.subjectRecipients, async ({ ctx, params, body }) =>
    ok(await subjectRecipients({ ...deps(), catalog: services.extensionCatalog() }, ctx, params.orgId, body)),
  ),
];

export const handler = apiHandler('api-subjects', operations, {
  verifier: createTokenVerifier(),
  onSecurityEvent: services.recordSecurityEvent,
});
