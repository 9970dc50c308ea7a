/** Jobs: the records carrying customer data. GET/PATCH/transition answer the version as ETag; PATCH, transition and DELETE honour If-Match. */
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import { createTokenVerifier } from '../../shared/http/token-verifier.ts';
import { noContent, ok, type HttpResult } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';
import * as services from '../../shared/services.ts';
import {
  createJob,
  deleteJob,
  getJob,
  listJobs,
  transitionJob,
  updateJob,
  etagOf,
  type VersionedJob,
} from '../../shared/use-cases/jobs.ts';
import { liftHold, placeHold, type HoldView } from '../../shared/use-cases/legal-hold.ts';
import { liftRestriction, restrictJob, type RestrictionView } from '../../shared/use-cases/restriction.ts';
import { recipientRoutes } from '../../shared/api/routes/recipients.ts';
import { pageList } from '../../shared/use-cases/page-list.ts';
import { jobRecipients } from '../../shared/use-cases/recipients.ts';

const r = jobRoutes;
const deps = services.atColdStart(() => ({
  ...services.jobDeps(),
  // Job lists decide on the inputs of the caller's previous list, proved unchanged (listJobs).
  rememberedInputs: services.rememberedInputs(),
  cursors: services.cursors(),
  // Rectifying, erasing or restricting a job notifies the extensions that received it (Art. 19).
  shares: services.shares(),
  notices: services.noticeQueue(),
}));

const withEtag = ({ job, etag }: VersionedJob, status = 200): HttpResult => ({
  status,
  body: job,
  headers: { etag },
});
const versionedState = (view: RestrictionView | HoldView): HttpResult => ({
  status: 200,
  body: view,
  headers: { etag: etagOf(view.version) },
});

export const operations = [
  operation(r.createJob, async ({ ctx, params, body }) =>
    withEtag(await createJob(deps(), ctx, params.orgId, params.orchestrationId, body), 201),
  ),
  operation(r.listJobs, async ({ ctx, params, query, cursorScope }) => ({
    status: 200,
    body: await listJobs(deps(), ctx, params.orgId, params.orchestrationId, { ...query, scope: cursorScope }),
  })),
  operation(r.getJob, async ({ ctx, params }) =>
    withEtag(await getJob(deps(), ctx, params.orgId, params.jobId)),
  ),
  operation(r.updateJob, async ({ ctx, params, body, headers }) =>
    withEtag(await updateJob(deps(), ctx, params.orgId, params.jobId, body, headers['if-match'])),
  ),
  operation(r.transitionJob, async ({ ctx, params, body, headers }) =>
    withEtag(await transitionJob(deps(), ctx, params.orgId, params.jobId, body, headers['if-match'])),
  ),
  operation(r.deleteJob, async ({ ctx, params, headers }) => {
    await deleteJob(deps(), ctx, params.orgId, params.jobId, headers['if-match']);
    return noContent();
  }),
  operation(r.restrictJob, async ({ ctx, params, body }) =>
    versionedState(await restrictJob(deps(), ctx, params.orgId, params.jobId, body)),
  ),
  operation(r.liftRestriction, async ({ ctx, params, body }) =>
    versionedState(await liftRestriction(deps(), ctx, params.orgId, params.jobId, body)),
  ),
  operation(r.placeHold, async ({ ctx, params, body }) =>
    versionedState(await placeHold(deps(), ctx, params.orgId, params.jobId, body)),
  ),
  operation(r.liftHold, async ({ ctx, params, body }) =>
    versionedState(await liftHold(deps(), ctx, params.orgId, params.jobId, body)),
  ),
  operation(recipientRoutes.jobRecipients, async ({ ctx, params, query, cursorScope }) =>
    ok(
      pageList(
        await jobRecipients(
          { ...deps(), catalog: services.extensionCatalog() },
          ctx,
          params.orgId,
          params.jobId,
        ),
        (v) => `${v.extensionId}`,
        query,
        deps().cursors,
        cursorScope,
      ),
    ),
  ),
];

export const handler = apiHandler('api-jobs', operations, {
  verifier: createTokenVerifier(),
  onSecurityEvent: services.recordSecurityEvent,
});
