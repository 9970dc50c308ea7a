/**
 * The portability worker's part of the report of an access or portability request (started by
 * request-report.ts). It re-evaluates the fulfilling member's rights as they are now, streams
 * the subject-access use case's own items into a ZIP with flat memory — `report.json` (the same
 * JSON as the access route: the member's hidden fields absent, recipients listed) and, for
 * portability, `report.csv` — under `orgs/<org>/requests/<id>.zip`, where the bucket's 7-day
 * lifecycle and the organization's erasure reach it. Then: ready with a fresh link, the email to
 * the subject, and only then `fulfilled` (docs/decisions/0019: the moment the subject is sent
 * the link). A redelivery of a ready report sends a fresh link (the earlier one stops working)
 * and closes it; a closed request is never rebuilt.
 */
import { newLinkToken } from '../domain/link-token.ts';
import { writeCsv } from '../formats/csv.ts';
import { createPlainZip } from '../formats/encrypted-zip.ts';
import type { Row } from '../formats/columns.ts';
import type { Files } from '../ports/files.ts';
import type { StoredRequest } from '../ports/subject-requests.ts';
import { reportReadyEmail } from '../templates/request-emails.ts';
import { PORTABILITY_TTL_SECONDS, isPermanent } from './exports.ts';
import { requesterScope, type Requester } from './exports-requester.ts';
import { uploadArchive } from './archive-upload.ts';
import { authorize, successDraft } from './org-access.ts';
import type { RecipientsDeps } from './recipients.ts';
import { recipientsOfSubject } from './recipients.ts';
import type { RecordsContext } from './records-context.ts';
import { openedEmail, type CaseDeps } from './request-cases.ts';
import { requestEvent } from './request-report.ts';
import { ACCESS_CSV_COLUMNS, accessItems, accessJson, csvRows, recipientsByJob } from './subject-access.ts';

/** What the worker needs to build one: the subject-access use case's, the files, the case's. */
export type ReportDeps = CaseDeps &
  RecordsContext &
  Pick<RecipientsDeps, 'shares' | 'catalog'> & {
    readonly files: Files;
    /** Where the emailed link points: the API's public base URL. */
    readonly publicBaseUrl: string;
  };

const README = [
  'Your personal data, as held by the organization you asked.',
  '',
  'report.json  every record about you: where it is kept (process, stage, dates), each field',
  '             and its value, and who received your data (recipients)',
  'report.csv   (portability) the same fields, one row per value, for a spreadsheet or another service',
  '',
].join('\r\n');

/** Streams the report into the file; returns the jobs and values it holds. */
async function writeReport(
  deps: ReportDeps,
  stored: StoredRequest,
  fileKey: string,
  requester: Requester,
  email: string,
  subjectIndex: string,
): Promise<{ jobs: number; decrypted: number }> {
  const { scope } = requester;
  const tally = { jobs: 0, decrypted: 0 };
  const items = () => accessItems(deps, scope, subjectIndex, tally);
  const zip = createPlainZip();
  await uploadArchive(deps.files, fileKey, zip, async () => {
    await zip.addEntry('README.txt', [README]);
    const recipients = async () => (await recipientsOfSubject(deps, scope, subjectIndex)).items;
    await zip.addEntry('report.json', accessJson(email, items(), recipients, deps.clock.now().toISOString()));
    if (stored.type === 'portability') {
      const byJob = recipientsByJob(await recipients());
      const rows = async function* (): AsyncGenerator<Row> {
        for await (const item of accessItems(deps, scope, subjectIndex, { jobs: 0, decrypted: 0 }))
          yield* csvRows(item, byJob.get(item.jobId) ?? []);
      };
      await zip.addEntry('report.csv', writeCsv(ACCESS_CSV_COLUMNS, rows()));
    }
  });
  return tally;
}

/** A fresh link to the ready report, the email carrying it, then the request closed as fulfilled. */
async function sendAndClose(
  deps: ReportDeps,
  stored: StoredRequest,
  requester: Requester,
  email: string,
  expiresAt: string,
  built: Readonly<Record<string, number>>,
): Promise<void> {
  const { orgId, requestId } = stored;
  const userId = requester.auditActor.userId;
  const token = newLinkToken();
  await deps.requests.reportReady(
    orgId,
    requestId,
    { expiresAt, linkHash: token.hash },
    { at: deps.clock.now().toISOString(), action: 'request.report-ready', actor: userId },
    requestEvent(orgId, requestId, 'request.report-ready', { expiresAt, ...built }, requester.auditActor),
  );
  const link = `${deps.publicBaseUrl.replace(/\/$/, '')}/v1/requests/${requestId}/report?token=${token.token}`;
  await deps.mailer.send({
    to: email,
    ...reportReadyEmail({
      organizationName: requester.scope.org.name,
      type: stored.type,
      link,
      expiresAt: new Date(expiresAt),
    }),
  });
  await deps.requests.update(
    orgId,
    requestId,
    { status: 'fulfilled' },
    { status: 'open' },
    { at: deps.clock.now().toISOString(), action: 'request.fulfil', actor: userId },
    requestEvent(orgId, requestId, 'request.fulfil', { type: stored.type, ...built }, requester.auditActor),
  );
}

/** The worker's part; see the module comment. */
export async function runRequestReport(deps: ReportDeps, orgId: string, requestId: string): Promise<void> {
  const stored = await deps.requests.get(orgId, requestId);
  const report = stored?.report;
  if (stored === undefined || report === undefined || stored.status !== 'open') return;
  let requester: Requester;
  try {
    requester = await requesterScope(deps.orgs, orgId, report.requestedBy, requestId);
    // Still allowed when the report is built: a member demoted since gets nothing built.
    authorize(requester.scope.actor, 'subjects.access');
  } catch (error) {
    if (!isPermanent(error)) throw error;
    // The case stays open (and due): staff see no report came and fulfil it again.
    await deps.requests.abandonReport(orgId, requestId);
    return;
  }
  const subjectIndex = stored.subjectIndex;
  if (subjectIndex === undefined || stored.sealedEmail === undefined) {
    // The subject was erased after the report was asked for: nothing is held to report, and no
    // address is left to send a link to. The case stays open for staff to close.
    await deps.requests.abandonReport(orgId, requestId);
    return;
  }
  const email = await openedEmail(deps, requester.scope.org, stored);
  if (report.status === 'ready' && report.expiresAt !== undefined)
    return sendAndClose(deps, stored, requester, email, report.expiresAt, {});

  const tally = await writeReport(deps, stored, report.fileKey, requester, email, subjectIndex);
  await deps.audit.append(
    successDraft({
      orgId,
      action: 'subject.access',
      resource: { type: 'subject', id: subjectIndex },
      detail: { format: 'report', jobs: tally.jobs, decryptedValues: tally.decrypted },
    }),
    requester.auditActor,
  );
  // The link lives 7 days from the file's creation, as the bucket's lifecycle rule counts.
  const expiresAt = new Date(deps.clock.now().getTime() + PORTABILITY_TTL_SECONDS * 1000).toISOString();
  await sendAndClose(deps, stored, requester, email, expiresAt, {
    jobs: tally.jobs,
    decryptedValues: tally.decrypted,
  });
}
