/**
 * Backups of a whole organization (owners only): a ZIP of everything — organization, members,
 * roles, orchestrations, jobs decrypted, extension consents, data subject requests with the
 * subject's details opened, audit log — as JSON and CSV entries,
 * every entry encrypted with WinZip AES-256 (AE-2) under the owner's password, streamed by the
 * portability worker into a multipart upload, then announced by email with a 7-day link to our
 * download page (use-cases/downloads.ts).
 *
 * The password is never stored. The API keeps only its scrypt hash (for the download page) and
 * hands the password itself to the worker sealed with the organization's data key
 * (AES-256-GCM bound to org, backup and the purpose `backup-password`), inside the work-queue
 * message: the queue is KMS-encrypted at rest, the message is deleted once the run succeeds (or
 * dead-lettered, still sealed, after its retries), and a sealed password opens only for this
 * backup of this organization — and for nobody once the organization is crypto-shredded. The
 * worker opens it in memory for the ZIP writer and never writes it anywhere.
 */
import { GoneError, NotFoundError, ValidationError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { newLinkToken } from '../domain/link-token.ts';
import { hashPassword } from '../domain/password-hash.ts';
import type { RequestContext } from '../domain/principal.ts';
import { writeCsv } from '../formats/csv.ts';
import type { Column } from '../formats/columns.ts';
import { createEncryptedZip, type EncryptedZip } from '../formats/encrypted-zip.ts';
import { orgFileKey } from '../ports/files.ts';
import { MailDeliveryError, type Mailer } from '../ports/mailer.ts';
import type { BackupRecord, EmailStatus, PortabilityStatus } from '../ports/portability.ts';
import type { RoleStore } from '../ports/roles.ts';
import type { SubjectRequestStore } from '../ports/subject-requests.ts';
import { backupReadyEmail } from '../templates/backup-ready-email.ts';
import { exportableJobs, exportColumns, rowOf, type ExportSource } from './exports-rows.ts';
import {
  PORTABILITY_TTL_SECONDS,
  PROGRESS_EVERY_ROWS,
  failureReason,
  isPermanent,
  workerProgress,
  type ExportDeps,
} from './exports.ts';
import { requesterScope, type Requester } from './exports-requester.ts';
import { uploadArchive } from './archive-upload.ts';
import { cryptoOf, auditEntry, authorize, outcomeDraft, resolveScope, successDraft } from './org-access.ts';
import { fieldMaskFor } from '../domain/authorization.ts';
import { openedCase } from './request-cases.ts';

export const MIN_BACKUP_PASSWORD_LENGTH = 12;
/** Seals the ZIP password for the worker; no other use of the organization's key can open it. */
export const BACKUP_PASSWORD_PURPOSE = 'backup-password';
const PASSWORD_FIELD = 'zip-password';

/** What an export needs, plus the roles and data subject requests (a backup holds them too) and the mail of the link. */
export interface BackupDeps extends ExportDeps {
  readonly roles: RoleStore;
  readonly requests: SubjectRequestStore;
  readonly mailer: Mailer;
  /** Where the emailed link points: the API's public base URL. */
  readonly publicBaseUrl: string;
}

export interface BackupStatusView {
  readonly backupId: string;
  readonly status: PortabilityStatus;
  readonly rowsWritten: number;
  readonly expiresAt: string;
  readonly email: EmailStatus;
  readonly createdAt: string;
  readonly failure?: string;
  readonly attempt?: number;
  readonly progressAt?: string;
}

/** Redelivery fixes this one: the backup is ready, only its email did not go out. */
export class BackupEmailFailed extends Error {
  override readonly name = 'BackupEmailFailed';
}

const plusSeconds = (at: Date, seconds: number): string =>
  new Date(at.getTime() + seconds * 1000).toISOString();

/** Only what the API function holds: the mail and the roles are the worker's. */
export async function requestBackup(
  deps: ExportDeps,
  ctx: RequestContext,
  orgId: string,
  input: { readonly password: string },
): Promise<{ backupId: string }> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'backups.create');
  if (input.password.length < MIN_BACKUP_PASSWORD_LENGTH) {
    throw new ValidationError('The password is too short', [
      { path: 'body.password', message: `At least ${MIN_BACKUP_PASSWORD_LENGTH} characters` },
    ]);
  }
  const backupId = newId();
  const now = deps.clock.now();
  const [passwordHash, sealedPassword] = await Promise.all([
    hashPassword(input.password),
    cryptoOf(deps, scope).seal(backupId, PASSWORD_FIELD, input.password, BACKUP_PASSWORD_PURPOSE),
  ]);
  const record: BackupRecord = {
    orgId,
    backupId,
    requestedBy: ctx.principal.userId,
    status: 'pending',
    rowsWritten: 0,
    fileKey: orgFileKey(orgId, 'backups', `${backupId}.zip`),
    // Until the file exists this bounds a request that never completes; on completion it moves to 7 days from then.
    expiresAt: plusSeconds(now, PORTABILITY_TTL_SECONDS),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    passwordHash,
    email: 'pending',
    attempts: 0,
  };
  await deps.portability.createBackup(
    record,
    auditEntry(ctx, { orgId, action: 'backup.create', resource: { type: 'backup', id: backupId } }),
  );
  try {
    await deps.queue.send({ kind: 'backup', orgId, backupId, sealedPassword });
  } catch (error) {
    await deps.portability.updateBackup(
      orgId,
      backupId,
      { status: 'failed', failure: 'The backup could not be queued; request it again' },
      deps.clock.now().toISOString(),
    );
    throw error;
  }
  return { backupId };
}

export async function getBackupStatus(
  deps: Pick<BackupDeps, 'orgs' | 'portability' | 'clock'>,
  ctx: RequestContext,
  orgId: string,
  backupId: string,
): Promise<BackupStatusView> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'backups.create');
  const record = await deps.portability.getBackup(orgId, backupId);
  if (record === undefined) throw new NotFoundError('backup');
  if (Date.parse(record.expiresAt) <= deps.clock.now().getTime())
    throw new GoneError('The backup has expired');
  return {
    backupId,
    status: record.status,
    rowsWritten: record.rowsWritten,
    expiresAt: record.expiresAt,
    email: record.email,
    createdAt: record.createdAt,
    ...(record.failure === undefined ? {} : { failure: record.failure }),
    ...workerProgress(record),
  };
}

const README = [
  'Backup of a Custos organization.',
  '',
  'organization.json   the organization',
  'members.json/.csv   its members and their roles',
  'roles.json          its custom roles and field permissions',
  'orchestrations.json its orchestrations (stages, fields)',
  'jobs/<id>.jsonl     every job of orchestration <id>, one JSON object per line, fields decrypted',
  "jobs/<id>.csv       the same jobs as a spreadsheet (cells starting with = + - @ are prefixed with ')",
  'consents.json       consents given to marketplace extensions (if any; tokens are never included)',
  "requests.json       data subject requests (if any): each case, its timeline and the subject's details",
  'audit-log.jsonl     the audit log, one event per line, in order',
  '',
].join('\r\n');

const MEMBER_COLUMNS: readonly Column[] = [
  { key: 'userId', label: 'User', kind: 'text' },
  { key: 'email', label: 'Email', kind: 'email' },
  { key: 'role', label: 'Role', kind: 'text' },
  { key: 'addedAt', label: 'Added', kind: 'date' },
];

async function* jsonLines(items: AsyncIterable<unknown>, count: () => Promise<void>): AsyncGenerator<string> {
  for await (const item of items) {
    yield `${JSON.stringify(item)}\n`;
    await count();
  }
}

/** Streams every entry of the organization into the archive; counts rows as it goes. */
async function writeEntries(
  deps: BackupDeps,
  zip: EncryptedZip,
  requester: Requester,
  count: () => Promise<void>,
): Promise<void> {
  const { scope } = requester;
  const orgId = scope.org.orgId;
  const { wrappedKeys: _keys, ...organization } = scope.org;
  await zip.addEntry('README.txt', [README]);
  await zip.addEntry('organization.json', [JSON.stringify(organization, null, 2)]);

  const members = await deps.orgs.listMembers(orgId);
  for (let i = 0; i < members.length; i += 1) await count();
  await zip.addEntry('members.json', [JSON.stringify(members, null, 2)]);
  await zip.addEntry(
    'members.csv',
    writeCsv(
      MEMBER_COLUMNS,
      members.map(({ userId, email, role, addedAt }) => ({ userId, email, role, addedAt })),
    ),
  );

  const roles = await deps.roles.list(orgId);
  for (let i = 0; i < roles.length; i += 1) await count();
  await zip.addEntry('roles.json', [JSON.stringify(roles, null, 2)]);

  const orchestrations = await deps.orchestrations.list(orgId);
  await zip.addEntry('orchestrations.json', [JSON.stringify(orchestrations, null, 2)]);
  for (const orchestration of orchestrations) {
    const source: ExportSource = { orchestration, mask: fieldMaskFor(scope.actor, orchestration) };
    const jobs = async function* () {
      for await (const { job, fields } of exportableJobs(deps, scope, [source])) {
        const { subjectIndex: _index, fields: _sealed, ...rest } = job;
        yield { ...rest, fields };
      }
    };
    await zip.addEntry(`jobs/${orchestration.orchestrationId}.jsonl`, jsonLines(jobs(), count));
    const rows = async function* () {
      for await (const opened of exportableJobs(deps, scope, [source])) yield rowOf(opened);
    };
    await zip.addEntry(
      `jobs/${orchestration.orchestrationId}.csv`,
      writeCsv(exportColumns([source]), rows()),
    );
  }

  const consents: unknown[] = [];
  for await (const consent of deps.portability.consents(orgId)) consents.push(consent);
  if (consents.length > 0) await zip.addEntry('consents.json', [JSON.stringify(consents, null, 2)]);

  // A bounded collection (unverified requests expire in 7 days); codes, link hashes and blind indexes stay out.
  const requests = [];
  for (const stored of await deps.requests.list(orgId)) {
    requests.push(await openedCase(deps, scope.org, stored));
    await count();
  }
  if (requests.length > 0) await zip.addEntry('requests.json', [JSON.stringify(requests, null, 2)]);

  await zip.addEntry('audit-log.jsonl', jsonLines(deps.portability.auditEvents(orgId), count));
}

async function buildArchive(
  deps: BackupDeps,
  record: BackupRecord,
  requester: Requester,
  sealedPassword: string,
): Promise<number> {
  const at = () => deps.clock.now().toISOString();
  const crypto = cryptoOf(deps, requester.scope);
  const zip = createEncryptedZip(
    await crypto.open(record.backupId, PASSWORD_FIELD, sealedPassword, BACKUP_PASSWORD_PURPOSE),
  );
  let rows = 0;
  const count = async (): Promise<void> => {
    rows += 1;
    if (rows % PROGRESS_EVERY_ROWS === 0) {
      const now = at();
      await deps.portability.updateBackup(
        record.orgId,
        record.backupId,
        { rowsWritten: rows, progressAt: now },
        now,
      );
    }
  };
  await uploadArchive(deps.files, record.fileKey, zip, () => writeEntries(deps, zip, requester, count));
  return rows;
}

/** A fresh link (the previous token, if any, was never delivered) and the email carrying it. */
async function sendLink(deps: BackupDeps, record: BackupRecord, requester: Requester): Promise<void> {
  const { orgId, backupId } = record;
  const at = () => deps.clock.now().toISOString();
  const token = newLinkToken();
  await deps.portability.updateBackup(orgId, backupId, { linkHash: token.hash }, at());
  const link = `${deps.publicBaseUrl.replace(/\/$/, '')}/v1/backups/${backupId}/download?token=${token.token}`;
  const content = backupReadyEmail({
    organizationName: requester.scope.org.name,
    link,
    expiresAt: new Date(record.expiresAt),
  });
  try {
    await deps.mailer.send({ to: requester.scope.actor.membership.email, ...content });
  } catch (error) {
    if (!(error instanceof MailDeliveryError)) throw error;
    await deps.portability.updateBackup(orgId, backupId, { email: 'failed' }, at());
    await deps.audit.append(
      outcomeDraft('failure', {
        orgId,
        action: 'backup.email',
        resource: { type: 'backup', id: backupId },
        detail: { code: error.code },
      }),
      requester.auditActor,
    );
    if (error.retryable) throw new BackupEmailFailed(`The backup email was not sent (${error.code})`);
    return;
  }
  await deps.portability.updateBackup(orgId, backupId, { email: 'sent' }, at());
  await deps.audit.append(
    successDraft({ orgId, action: 'backup.email', resource: { type: 'backup', id: backupId } }),
    requester.auditActor,
  );
}

/**
 * The worker's part. A ready backup whose email failed only gets its email again (that is what a
 * redelivery after an SES failure does); otherwise the archive is (re)built under the same key.
 */
export async function runBackup(
  deps: BackupDeps,
  orgId: string,
  backupId: string,
  sealedPassword: string,
): Promise<void> {
  const record = await deps.portability.getBackup(orgId, backupId);
  if (record === undefined || (record.status === 'ready' && record.email === 'sent')) return;
  const at = () => deps.clock.now().toISOString();
  let requester: Requester;
  try {
    requester = await requesterScope(deps.orgs, orgId, record.requestedBy, backupId);
    // Still an owner when the archive is built: an owner demoted since does not get everything.
    authorize(requester.scope.actor, 'backups.create');
  } catch (error) {
    if (!isPermanent(error)) throw error;
    await deps.portability
      .updateBackup(orgId, backupId, { status: 'failed', failure: failureReason(error, 'backup') }, at())
      .catch(() => undefined);
    return;
  }
  if (record.status === 'ready') return sendLink(deps, record, requester);

  const started = at();
  await deps.portability.updateBackup(
    orgId,
    backupId,
    { status: 'running', rowsWritten: 0, attempt: (record.attempt ?? 0) + 1, progressAt: started },
    started,
  );
  let rowsWritten: number;
  try {
    rowsWritten = await buildArchive(deps, record, requester, sealedPassword);
  } catch (error) {
    await deps.portability
      .updateBackup(orgId, backupId, { status: 'failed', failure: failureReason(error, 'backup') }, at())
      .catch(() => undefined);
    if (isPermanent(error)) return;
    throw error;
  }
  // The link lives 7 days from the file's creation, as the bucket's lifecycle rule counts.
  const expiresAt = plusSeconds(deps.clock.now(), PORTABILITY_TTL_SECONDS);
  await deps.portability.updateBackup(orgId, backupId, { status: 'ready', rowsWritten, expiresAt }, at());
  await deps.audit.append(
    successDraft({
      orgId,
      action: 'backup.complete',
      resource: { type: 'backup', id: backupId },
      detail: { rowsWritten },
    }),
    requester.auditActor,
  );
  await sendLink(deps, { ...record, status: 'ready', rowsWritten, expiresAt }, requester);
}
