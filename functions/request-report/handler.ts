/**
 * The emailed link to the report of a data subject request, public: the page that has a one-time
 * code emailed and takes it. Answers are HTML pages (or a 303 to the file) with the backup page's
 * strict CSP, no referrer and no caching. The token arrives in the query (GET) or the form (POST)
 * and goes nowhere else: not into logs, not into errors.
 */
import { requestRoutes } from '../../shared/api/routes/requests.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import type { HttpResult } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';
import { filesOnFirstUse } from '../../shared/files-on-first-use.ts';
import { mailerOnFirstUse } from '../../shared/mailer-on-first-use.ts';
import * as services from '../../shared/services.ts';
import { pageResultHeaders } from '../../shared/templates/page-layout.ts';
import { REPORT_PAGE_STATUS, reportPage } from '../../shared/templates/report-page.ts';
import {
  showReportPage,
  submitReportForm,
  type ReportAnswer,
} from '../../shared/use-cases/request-report-link.ts';

const r = requestRoutes;
// The page (GET) reads DynamoDB only; its form loads SES to send a code, and S3 to presign the
// report for the right code (the CSP's origin of the file is derived, services.filesOrigin).
const deps = services.atColdStart(() => ({
  orgs: services.orgs(),
  requests: services.subjectRequests(),
  keys: services.keys(),
  clock: services.clock(),
  mailer: mailerOnFirstUse(),
  audit: services.writer(),
  files: filesOnFirstUse(),
  filesOrigin: services.filesOrigin(),
}));

function render(answer: ReportAnswer, requestId: string, token: string): HttpResult {
  if (answer.location !== undefined)
    return { status: 303, headers: { ...pageResultHeaders(undefined), location: answer.location } };
  const body = reportPage({
    state: answer.state,
    action: `/v1/requests/${requestId}/report`,
    // An invalid token is not echoed back into the page.
    token: answer.state.kind === 'invalid' ? '' : token,
  });
  return {
    status: REPORT_PAGE_STATUS[answer.state.kind],
    body,
    contentType: 'text/html; charset=utf-8',
    headers: pageResultHeaders(answer.downloadOrigin),
  };
}

export const operations = [
  operation(r.reportPage, async ({ params, query }) =>
    render(await showReportPage(deps(), params.requestId, query.token), params.requestId, query.token ?? ''),
  ),
  operation(r.reportSubmit, async ({ ctx, params, body }) =>
    render(await submitReportForm(deps(), ctx, params.requestId, body), params.requestId, body.token),
  ),
];

export const handler = apiHandler('request-report', operations);
