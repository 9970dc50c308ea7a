/**
 * The emailed backup link (public, no bearer token): the page asks for the password; the right
 * one answers with a presigned S3 URL valid for minutes. Tries are counted in DynamoDB with a
 * conditional counter — reserved before the (slow) check, given back when it was right — so
 * five wrong passwords lock the link even when guesses arrive in parallel. After the link's
 * 7 days it is gone (410); an unknown or mistyped token looks like no link at all (404).
 * Access is checked when the link is used, not only when the backup was made: once the owner who
 * asked for it is no longer an owner of the organization (removed, demoted), the link is revoked
 * (410, page and form alike, before any password is checked).
 * Every try is audited in the organization's log; the token never is, nor logged anywhere.
 */
import { hashLinkToken, isWellFormedLinkToken, linkTokenMatches } from '../domain/link-token.ts';
import { verifyPassword } from '../domain/password-hash.ts';
import type { Clock } from '../ports/clock.ts';
import type { Files } from '../ports/files.ts';
import type { BackupRecord, PortabilityStore } from '../ports/portability.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import type { DownloadPageState } from '../templates/download-page.ts';
import type { ReadAudit } from './records-context.ts';
import { outcomeDraft, pseudonymousActor } from './org-access.ts';

export const MAX_PASSWORD_TRIES = 5;
/** The S3 URL the page redirects to: signed with temporary credentials, so minutes only. */
export const BACKUP_URL_SECONDS = 300;

export interface DownloadDeps {
  readonly portability: PortabilityStore;
  readonly orgs: OrganizationStore;
  readonly files: Files;
  /** The origin `files` presigns URLs at, known without presigning (services.filesOrigin). */
  readonly filesOrigin: string;
  readonly clock: Clock;
  readonly audit: ReadAudit;
}

/** Where the request came from; the holder of a link is not a known user. */
export interface LinkRequest {
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly requestId: string;
}

export interface DownloadAnswer {
  readonly state: DownloadPageState;
  readonly organizationName?: string;
  readonly expiresAt?: Date;
  /** Set for the right password: where to send the browser. */
  readonly location?: string;
  /** The origin presigned URLs point at, so the page's CSP lets the form follow the 303 there. */
  readonly downloadOrigin?: string;
}

/** The link's answer when it does not lead to the password check; `revoked` names the backup whose requester lost access. */
type Resolved =
  | { readonly answer: DownloadAnswer; readonly revoked?: BackupRecord }
  | { readonly backup: BackupRecord; readonly base: Omit<DownloadAnswer, 'state'> };

async function resolveLink(
  deps: DownloadDeps,
  backupId: string,
  token: string | undefined,
): Promise<Resolved> {
  const invalid = { answer: { state: { kind: 'invalid' } } } as const;
  if (!isWellFormedLinkToken(token)) return invalid;
  const backup = await deps.portability.backupByLink(hashLinkToken(token));
  if (
    backup === undefined ||
    backup.backupId !== backupId ||
    backup.linkHash === undefined ||
    !linkTokenMatches(token, backup.linkHash)
  )
    return invalid;
  const org = await deps.orgs.get(backup.orgId);
  if (org === undefined || org.status !== 'active' || backup.status !== 'ready') return invalid;
  // Read on every use: a backup is the whole organization, so only a current owner's link opens it.
  const requester = await deps.orgs.getMember(backup.orgId, backup.requestedBy);
  if (requester?.role !== 'owner') return { answer: { state: { kind: 'revoked' } }, revoked: backup };
  const expiresAt = new Date(backup.expiresAt);
  const base = { organizationName: org.name, expiresAt };
  if (expiresAt.getTime() <= deps.clock.now().getTime())
    return { answer: { ...base, state: { kind: 'expired' } } };
  if (backup.attempts >= MAX_PASSWORD_TRIES) return { answer: { ...base, state: { kind: 'locked' } } };
  return { backup, base };
}

export async function showDownloadPage(
  deps: DownloadDeps,
  backupId: string,
  token: string | undefined,
): Promise<DownloadAnswer> {
  const resolved = await resolveLink(deps, backupId, token);
  if ('answer' in resolved) return resolved.answer;
  return {
    ...resolved.base,
    state: { kind: 'ask' },
    downloadOrigin: deps.filesOrigin,
  };
}

export async function submitDownloadPassword(
  deps: DownloadDeps,
  request: LinkRequest,
  backupId: string,
  input: { readonly token: string; readonly password: string },
): Promise<DownloadAnswer> {
  const resolved = await resolveLink(deps, backupId, input.token);
  // The actor of link events is the link itself, named by its backup.
  const actor = pseudonymousActor(`link:${backupId}`, request);
  const auditIn = (
    orgId: string,
    outcome: 'success' | 'denied',
    detail: Readonly<Record<string, string | number | boolean>>,
  ) =>
    deps.audit.append(
      outcomeDraft(outcome, {
        orgId,
        action: 'backup.download',
        resource: { type: 'backup', id: backupId },
        detail,
      }),
      actor,
    );
  if ('answer' in resolved) {
    if (resolved.revoked !== undefined)
      await auditIn(resolved.revoked.orgId, 'denied', { reason: 'requester-not-owner' });
    return resolved.answer;
  }
  const { backup, base } = resolved;
  const audit = (
    outcome: 'success' | 'denied',
    detail: Readonly<Record<string, string | number | boolean>>,
  ) => auditIn(backup.orgId, outcome, detail);

  const tries = await deps.portability.reserveAttempt(backup.orgId, backupId, MAX_PASSWORD_TRIES);
  if (tries === 'locked') return { ...base, state: { kind: 'locked' } };
  if (!(await verifyPassword(input.password, backup.passwordHash))) {
    const triesLeft = MAX_PASSWORD_TRIES - tries;
    await audit('denied', { reason: 'wrong-password', triesLeft });
    if (triesLeft <= 0) return { ...base, state: { kind: 'locked' } };
    return {
      ...base,
      state: { kind: 'wrong-password', triesLeft },
      downloadOrigin: deps.filesOrigin,
    };
  }
  await deps.portability.releaseAttempt(backup.orgId, backupId);
  const location = await deps.files.presignGet(
    backup.fileKey,
    BACKUP_URL_SECONDS,
    `custos-backup-${backup.createdAt.slice(0, 10)}.zip`,
  );
  await audit('success', { urlSeconds: BACKUP_URL_SECONDS });
  return { ...base, state: { kind: 'ask' }, location };
}
