/**
 * The staff side of data subject requests (permission `requests.manage`): list, read, assign,
 * extend the deadline once, reject. Every step is one audit event and one timeline step, written
 * together with the change and conditional on the state it was decided on (a concurrent step
 * makes it a 409, never a lost update). The subject's email is opened only to read a case and to
 * write to the subject; lists show no personal data.
 */
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.ts';
import type { RequestContext } from '../domain/principal.ts';
import {
  extendedDueDate,
  type RequestStatus,
  type RequestType,
  type SubjectRequest,
} from '../domain/subject-request.ts';
import type { OrganizationRecord } from '../ports/organizations.ts';
import type { RequestChange, StoredRequest } from '../ports/subject-requests.ts';
import type { EmailContent } from '../templates/email-layout.ts';
import { extensionEmail, rejectionEmail } from '../templates/request-emails.ts';
import { auditActorOf, auditEntry, authorize, resolveScope, successDraft } from './org-access.ts';
import { REQUEST_PURPOSE, requestCrypto, type IntakeDeps } from './request-intake.ts';

/** The staff's steps of a case need what its intake needs. */
export type CaseDeps = IntakeDeps;

export type RequestSummary = Omit<SubjectRequest, 'orgId' | 'timeline'>;

export interface RequestCase extends SubjectRequest {
  /** Absent once the subject was erased (the case itself stays). */
  readonly email?: string;
  readonly name?: string;
  readonly details?: string;
}

export interface RequestFilter {
  readonly status?: RequestStatus | undefined;
  readonly type?: RequestType | undefined;
  /** ISO time: only requests due before it (so only verified ones). */
  readonly dueBefore?: string | undefined;
}

function summaryOf(stored: StoredRequest): RequestSummary {
  return {
    requestId: stored.requestId,
    type: stored.type,
    status: stored.status,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    ...(stored.verifiedAt === undefined ? {} : { verifiedAt: stored.verifiedAt }),
    ...(stored.dueAt === undefined ? {} : { dueAt: stored.dueAt }),
    ...(stored.extendedMonths === undefined ? {} : { extendedMonths: stored.extendedMonths }),
    ...(stored.assignee === undefined ? {} : { assignee: stored.assignee }),
  };
}

/** The case without the subject's details (those only GET opens). */
export const caseOf = (stored: StoredRequest): SubjectRequest => ({
  ...summaryOf(stored),
  orgId: stored.orgId,
  timeline: stored.timeline,
});

async function staffScope(deps: CaseDeps, ctx: RequestContext, orgId: string): Promise<OrganizationRecord> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'requests.manage');
  return scope.org;
}

async function requestOf(deps: CaseDeps, orgId: string, requestId: string): Promise<StoredRequest> {
  const stored = await deps.requests.get(orgId, requestId);
  if (stored === undefined) throw new NotFoundError('request');
  return stored;
}

/** The subject's verified address, opened to write to them or to act on their data; gone once the subject was erased. */
export async function openedEmail(
  deps: Pick<CaseDeps, 'keys'>,
  org: OrganizationRecord,
  stored: StoredRequest,
): Promise<string> {
  if (stored.sealedEmail === undefined)
    throw new ConflictError(
      "The request's subject was erased: its address is no longer held",
      'subject-erased',
    );
  return requestCrypto(deps.keys, org).open(stored.requestId, 'email', stored.sealedEmail, REQUEST_PURPOSE);
}

export async function listRequests(
  deps: CaseDeps,
  ctx: RequestContext,
  orgId: string,
  filter: RequestFilter,
): Promise<RequestSummary[]> {
  await staffScope(deps, ctx, orgId);
  const dueBefore = filter.dueBefore === undefined ? undefined : Date.parse(filter.dueBefore);
  return (await deps.requests.list(orgId))
    .filter(
      (r) =>
        (filter.status === undefined || r.status === filter.status) &&
        (filter.type === undefined || r.type === filter.type),
    )
    .filter((r) => dueBefore === undefined || (r.dueAt !== undefined && Date.parse(r.dueAt) < dueBefore))
    .map(summaryOf);
}

/** The case with the subject's details opened (for a member who reads it, and for backups). */
export async function openedCase(
  deps: Pick<CaseDeps, 'keys'>,
  org: OrganizationRecord,
  stored: StoredRequest,
): Promise<RequestCase> {
  const crypto = requestCrypto(deps.keys, org);
  const open = (field: string, sealed: string) =>
    crypto.open(stored.requestId, field, sealed, REQUEST_PURPOSE);
  return {
    ...caseOf(stored),
    ...(stored.sealedEmail === undefined ? {} : { email: await open('email', stored.sealedEmail) }),
    ...(stored.sealedName === undefined ? {} : { name: await open('name', stored.sealedName) }),
    ...(stored.sealedDetails === undefined ? {} : { details: await open('details', stored.sealedDetails) }),
  };
}

/** The case with the subject's details opened; reading them is an audit event. */
export async function getRequest(
  deps: CaseDeps,
  ctx: RequestContext,
  orgId: string,
  requestId: string,
): Promise<RequestCase> {
  const org = await staffScope(deps, ctx, orgId);
  const opened = await openedCase(deps, org, await requestOf(deps, orgId, requestId));
  await deps.audit.append(
    successDraft({ orgId, action: 'request.read', resource: { type: 'request', id: requestId } }),
    auditActorOf(ctx),
  );
  return opened;
}

/** One staff step: the change, its timeline step and audit event, then (optionally) the subject's email. */
async function step(
  deps: CaseDeps,
  ctx: RequestContext,
  org: OrganizationRecord,
  stored: StoredRequest,
  action: string,
  change: RequestChange,
  detail: Readonly<Record<string, string | number>>,
  options: { readonly unextended?: boolean; readonly email?: EmailContent } = {},
): Promise<SubjectRequest> {
  const at = deps.clock.now().toISOString();
  const updated = await deps.requests.update(
    org.orgId,
    stored.requestId,
    change,
    { status: stored.status, ...(options.unextended === true ? { unextended: true } : {}) },
    { at, action, actor: ctx.principal.userId },
    auditEntry(ctx, {
      orgId: org.orgId,
      action,
      resource: { type: 'request', id: stored.requestId },
      detail,
    }),
  );
  // A subject erased meanwhile can no longer be written to: their address is gone.
  if (options.email !== undefined && stored.sealedEmail !== undefined)
    await deps.mailer.send({ to: await openedEmail(deps, org, stored), ...options.email });
  return caseOf(updated);
}

export async function assignRequest(
  deps: CaseDeps,
  ctx: RequestContext,
  orgId: string,
  requestId: string,
  input: { assignee: string },
): Promise<SubjectRequest> {
  const org = await staffScope(deps, ctx, orgId);
  const stored = await requestOf(deps, orgId, requestId);
  if ((await deps.orgs.getMember(orgId, input.assignee)) === undefined) {
    throw new ValidationError('The assignee is not a member of the organization', [
      { path: 'body.assignee', message: 'Not a member of the organization' },
    ]);
  }
  if (stored.status === 'fulfilled' || stored.status === 'rejected')
    throw new ConflictError('The request is closed');
  return step(
    deps,
    ctx,
    org,
    stored,
    'request.assign',
    { assignee: input.assignee },
    { assignee: input.assignee },
  );
}

export async function extendRequest(
  deps: CaseDeps,
  ctx: RequestContext,
  orgId: string,
  requestId: string,
  input: { months: number; reason: string },
): Promise<SubjectRequest> {
  const org = await staffScope(deps, ctx, orgId);
  const stored = await requestOf(deps, orgId, requestId);
  const extended = extendedDueDate(stored, input.months);
  if (!(extended instanceof Date)) throw new ConflictError(extended.refused, 'extension-refused');
  const dueAt = extended.toISOString();
  return step(
    deps,
    ctx,
    org,
    stored,
    'request.extend',
    { dueAt, extendedMonths: input.months },
    { months: input.months, reason: input.reason, dueAt },
    {
      unextended: true,
      email: extensionEmail({
        organizationName: org.name,
        type: stored.type,
        dueAt: extended,
        reason: input.reason,
      }),
    },
  );
}

export async function rejectRequest(
  deps: CaseDeps,
  ctx: RequestContext,
  orgId: string,
  requestId: string,
  input: { reason: string },
): Promise<SubjectRequest> {
  const org = await staffScope(deps, ctx, orgId);
  const stored = await requestOf(deps, orgId, requestId);
  if (stored.status !== 'open') throw new ConflictError('Only an open (verified) request can be rejected');
  return step(
    deps,
    ctx,
    org,
    stored,
    'request.reject',
    { status: 'rejected' },
    { reason: input.reason },
    {
      email: rejectionEmail({ organizationName: org.name, type: stored.type, reason: input.reason }),
    },
  );
}

/** Closes an open request as fulfilled, once the right was exercised (request-fulfilment.ts). */
export function closeRequest(
  deps: CaseDeps,
  ctx: RequestContext,
  org: OrganizationRecord,
  stored: StoredRequest,
  detail: Readonly<Record<string, string | number>>,
): Promise<SubjectRequest> {
  return step(
    deps,
    ctx,
    org,
    stored,
    'request.fulfil',
    { status: 'fulfilled' },
    { type: stored.type, ...detail },
  );
}
