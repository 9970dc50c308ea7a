/**
 * The emailed backup link, public: the password page and its form. Answers are HTML pages (or a
 * 303 to the file) with the page's own strict CSP, no referrer and no caching. The token arrives
 * in the query (GET) or the form (POST) and goes nowhere else: not into logs, not into errors.
 */
import { downloadRoutes } from '../../shared/api/routes/download.ts';
import { apiHandler } from '../../shared/http/api-handler.ts';
import type { HttpResult } from '../../shared/http/http-result.ts';
import { operation } from '../../shared/http/operation.ts';
import { filesOnFirstUse } from '../../shared/files-on-first-use.ts';
import * as services from '../../shared/services.ts';
import {
  showDownloadPage,
  submitDownloadPassword,
  type DownloadAnswer,
} from '../../shared/use-cases/downloads.ts';
import { DOWNLOAD_PAGE_STATUS, downloadPage } from '../../shared/templates/download-page.ts';
import { pageResultHeaders } from '../../shared/templates/page-layout.ts';

const r = downloadRoutes;
// The page reads DynamoDB only (the CSP's origin of the file is derived, services.filesOrigin); S3
// loads when a right password has a URL presigned.
const deps = services.atColdStart(() => ({
  portability: services.portability(),
  orgs: services.orgs(),
  files: filesOnFirstUse(),
  filesOrigin: services.filesOrigin(),
  clock: services.clock(),
  audit: services.writer(),
}));

function render(answer: DownloadAnswer, backupId: string, token: string): HttpResult {
  if (answer.location !== undefined)
    return { status: 303, headers: { ...pageResultHeaders(undefined), location: answer.location } };
  const body = downloadPage({
    state: answer.state,
    action: `/v1/backups/${backupId}/download`,
    // An invalid token is not echoed back into the page.
    token: answer.state.kind === 'invalid' ? '' : token,
    ...(answer.organizationName === undefined ? {} : { organizationName: answer.organizationName }),
    ...(answer.expiresAt === undefined ? {} : { expiresAt: answer.expiresAt }),
  });
  return {
    status: DOWNLOAD_PAGE_STATUS[answer.state.kind],
    body,
    contentType: 'text/html; charset=utf-8',
    headers: pageResultHeaders(answer.downloadOrigin),
  };
}

export const operations = [
  operation(r.downloadPage, async ({ params, query }) =>
    render(await showDownloadPage(deps(), params.backupId, query.token), params.backupId, query.token ?? ''),
  ),
  operation(r.downloadSubmit, async ({ ctx, params, body }) =>
    render(
      await submitDownloadPassword(deps(), ctx, params.backupId, {
        token: body.token,
        password: body.password,
      }),
      params.backupId,
      body.token,
    ),
  ),
];

export const handler = apiHandler('download', operations);
