/**
 * The emailed link to the report of an access or portability request (public, no bearer token).
 * Holding the link is not enough: each download needs a fresh 6-digit code, emailed to the
 * subject's verified address when the page is posted without one, valid 10 minutes, stored only
 * as a keyed hash (as the intake code: HMAC under the organization's index key, bound to the
 * request) and removed once used. Wrong codes are counted before the check (5 per link, then
 * 423, even with the right one after), and so are the codes sent (10 per link), so a leaked
 * link can neither guess its way in nor flood the subject's inbox. After 7 days the link is
 * 410; an unknown or mistyped token looks like no link at all (404). Every step is an audit
 * event and a timeline step of the request; the token and the codes never are.
 */
import { timingSafeEqual } from 'node:crypto';
import { isWellFormedLinkToken, linkTokenMatches } from '../domain/link-token.ts';
import { CODE_TTL_SECONDS, MAX_CODE_TRIES, newVerificationCode } from '../domain/subject-request.ts';
import type { AuditEntry } from '../ports/audit.ts';
import type { Files } from '../ports/files.ts';
import type { OrganizationRecord } from '../ports/organizations.ts';
import type { StoredRequest } from '../ports/subject-requests.ts';
import type { ReportPageState } from '../templates/report-page.ts';
import { reportCodeEmail } from '../templates/request-emails.ts';
import type { LinkRequest } from './downloads.ts';
import type { CaseDeps } from './request-cases.ts';
import { openedEmail } from './request-cases.ts';
import { requestCrypto, subjectActor } from './request-intake.ts';
import { outcomeDraft } from './org-access.ts';

/** Codes a link may have sent over its life. */
export const MAX_REPORT_CODES = 10;
/** The presigned S3 URL: minutes only. */
export const REPORT_URL_SECONDS = 300;

export type ReportLinkDeps = CaseDeps & {
  readonly files: Files;
  /** The origin `files` presigns URLs at, known without presigning (services.filesOrigin). */
  readonly filesOrigin: string;
};

export interface ReportAnswer {
  readonly state: ReportPageState;
  /** Set for the right code: where to send the browser. */
  readonly location?: string;
  /** The origin presigned URLs point at, so the page's CSP lets the code form follow the 303 there. */
  readonly downloadOrigin?: string;
}

type Resolved =
  | { readonly answer: ReportAnswer }
  | { readonly stored: StoredRequest; readonly org: OrganizationRecord; readonly fileKey: string };

async function resolveLink(
  deps: ReportLinkDeps,
  requestId: string,
  token: string | undefined,
): Promise<Resolved> {
  const invalid = { answer: { state: { kind: 'invalid' } } } as const;
  if (!isWellFormedLinkToken(token)) return invalid;
  const stored = await deps.requests.find(requestId);
  const report = stored?.report;
  if (
    stored === undefined ||
    report?.status !== 'ready' ||
    report.linkHash === undefined ||
    report.expiresAt === undefined ||
    !linkTokenMatches(token, report.linkHash)
  )
    return invalid;
  const org = await deps.orgs.get(stored.orgId);
  if (org === undefined || org.status !== 'active') return invalid;
  if (Date.parse(report.expiresAt) <= deps.clock.now().getTime())
    return { answer: { state: { kind: 'expired' } } };
  if ((stored.reportTries ?? 0) >= MAX_CODE_TRIES) return { answer: { state: { kind: 'locked' } } };
  return { stored, org, fileKey: report.fileKey };
}

const codeHashOf = (deps: ReportLinkDeps, org: OrganizationRecord, requestId: string, code: string) =>
  requestCrypto(deps.keys, org).blindIndex(`report-code:${requestId}:${code}`);

export async function showReportPage(
  deps: ReportLinkDeps,
  requestId: string,
  token: string | undefined,
): Promise<ReportAnswer> {
  const resolved = await resolveLink(deps, requestId, token);
  return 'answer' in resolved ? resolved.answer : { state: { kind: 'ask' } };
}

/** The page's form: without `code` it emails a fresh one; with it, 303 to the report for the right one. */
export async function submitReportForm(
  deps: ReportLinkDeps,
  request: LinkRequest,
  requestId: string,
  input: { readonly token: string; readonly code?: string | undefined },
): Promise<ReportAnswer> {
  const resolved = await resolveLink(deps, requestId, input.token);
  if ('answer' in resolved) return resolved.answer;
  const { stored, org, fileKey } = resolved;
  const { orgId } = stored;
  const now = deps.clock.now();
  const actor = subjectActor(requestId, request);
  const event = (
    action: string,
    outcome: 'success' | 'denied',
    detail: Readonly<Record<string, string | number>>,
  ): AuditEntry => ({
    draft: outcomeDraft(outcome, { orgId, action, resource: { type: 'request', id: requestId }, detail }),
    actor,
  });
  const step = (action: string) => ({ at: now.toISOString(), action });

  if (input.code === undefined || input.code === '') {
    if (
      (await deps.requests.reserveReportTry(orgId, requestId, 'reportCodes', MAX_REPORT_CODES)) === 'locked'
    )
      return { state: { kind: 'locked' } };
    const code = newVerificationCode();
    const codeExpiresAt = new Date(now.getTime() + CODE_TTL_SECONDS * 1000).toISOString();
    await deps.requests.setReportCode(
      orgId,
      requestId,
      { codeHash: await codeHashOf(deps, org, requestId, code), codeExpiresAt },
      step('request.report-code'),
      event('request.report-code', 'success', { validMinutes: CODE_TTL_SECONDS / 60 }),
    );
    await deps.mailer.send({
      to: await openedEmail(deps, org, stored),
      ...reportCodeEmail({ organizationName: org.name, code, validMinutes: CODE_TTL_SECONDS / 60 }),
    });
    return { state: { kind: 'code-sent' }, downloadOrigin: deps.filesOrigin };
  }

  const tries = await deps.requests.reserveReportTry(orgId, requestId, 'reportTries', MAX_CODE_TRIES);
  if (tries === 'locked') return { state: { kind: 'locked' } };
  const { codeHash, codeExpiresAt } = stored.report ?? {};
  const presented = Buffer.from(await codeHashOf(deps, org, requestId, input.code));
  const expected = Buffer.from(codeHash ?? '');
  const right =
    codeExpiresAt !== undefined &&
    Date.parse(codeExpiresAt) > now.getTime() &&
    presented.length === expected.length &&
    timingSafeEqual(presented, expected);
  if (!right || codeHash === undefined) {
    const triesLeft = MAX_CODE_TRIES - tries;
    await deps.requests.reportStep(
      orgId,
      requestId,
      undefined,
      step('request.report-download'),
      event('request.report-download', 'denied', { reason: 'wrong-code', triesLeft }),
    );
    if (triesLeft <= 0) return { state: { kind: 'locked' } };
    return {
      state: { kind: 'wrong-code', triesLeft },
      downloadOrigin: deps.filesOrigin,
    };
  }
  await deps.requests.releaseReportTry(orgId, requestId, 'reportTries');
  // Presigned first (it may load the S3 client, which can fail): a failure then spends no code and
  // records no download. The URL grants nothing until it is returned below.
  const location = await deps.files.presignGet(
    fileKey,
    REPORT_URL_SECONDS,
    `personal-data-${stored.requestId}.zip`,
  );
  // The code is spent before the URL is handed out: a replayed form gets a wrong-code page.
  await deps.requests.reportStep(
    orgId,
    requestId,
    codeHash,
    step('request.report-download'),
    event('request.report-download', 'success', { urlSeconds: REPORT_URL_SECONDS }),
  );
  return { state: { kind: 'ask' }, location };
}
