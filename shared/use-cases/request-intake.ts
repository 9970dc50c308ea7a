/**
 * The public side of a data subject request (no bearer token): intake and verification.
 *
 * No enumeration. Intake never looks at the organization's jobs: every address, known or not,
 * goes through the same steps — two counters, the blind index, sealing, hashing a fresh code,
 * one audited write, one email — so the answer (202 `{requestId}`) and its timing cannot tell
 * whether the organization holds data about the address. Only an unknown organization, or one
 * whose intake is off, answers differently (404), and that says nothing about a person.
 *
 * Limits, per organization: 5 requests per email and 20 per source address per hour (fixed
 * windows on the hour, counted with conditional updates, so parallel calls cannot exceed them);
 * then 429 with Retry-After until the window ends. The counters name the email and the address
 * by keyed hashes under the organization's index key, never in clear, and expire with their window.
 *
 * The code: 6 digits, valid 10 minutes, stored only as a keyed hash (HMAC-SHA256 under the
 * organization's index key, bound to the request): a million candidates are no work for a slow
 * hash either, but without the organization's data key, which only KMS unwraps, a stolen record
 * cannot be tested offline at all. Tries are counted before the check (so guesses sent in
 * parallel cannot exceed five), and the fifth wrong one voids it.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  GoneError,
  LockedError,
  NotFoundError,
  TooManyRequestsError,
  WrongCodeError,
  ConflictError,
} from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { OrgCrypto } from '../domain/org-crypto.ts';
import {
  CODE_TTL_SECONDS,
  MAX_CODE_TRIES,
  UNVERIFIED_TTL_SECONDS,
  dueDateOf,
  newVerificationCode,
  type RequestType,
} from '../domain/subject-request.ts';
import type { AuditActor } from '../ports/audit.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keys } from '../ports/keys.ts';
import type { Mailer } from '../ports/mailer.ts';
import type { OrganizationRecord, OrganizationStore } from '../ports/organizations.ts';
import type { StoredRequest, SubjectRequestStore } from '../ports/subject-requests.ts';
import { verificationCodeEmail } from '../templates/request-emails.ts';
import type { LinkRequest } from './downloads.ts';
import type { ReadAudit } from './records-context.ts';
import { cryptoOf, outcomeDraft, pseudonymousActor, successDraft } from './org-access.ts';

export const INTAKE_LIMITS = { perEmail: 5, perSource: 20, windowSeconds: 3600 } as const;

/** Sealed values of a request are bound to it and to this purpose. */
export const REQUEST_PURPOSE = 'subject-request';

export interface IntakeDeps {
  readonly orgs: OrganizationStore;
  readonly requests: SubjectRequestStore;
  readonly keys: Keys;
  readonly clock: Clock;
  readonly mailer: Mailer;
  readonly audit: ReadAudit;
}

export interface IntakeInput {
  readonly type: RequestType;
  readonly email: string;
  readonly name?: string | undefined;
  readonly details?: string | undefined;
}

/** The actor of the subject's own steps: pseudonymous, named by the request. */
export const subjectActor = (requestId: string, request: LinkRequest): AuditActor =>
  pseudonymousActor(`request:${requestId}`, request);

export const requestCrypto = (keys: Keys, org: OrganizationRecord): OrgCrypto => cryptoOf({ keys }, { org });

/** The stored form of a code: keyed, and bound to its request so it cannot be replayed on another. */
const codeHashOf = (crypto: OrgCrypto, requestId: string, code: string): Promise<string> =>
  crypto.blindIndex(`request-code:${requestId}:${code}`);

const plusSeconds = (at: Date, seconds: number): string =>
  new Date(at.getTime() + seconds * 1000).toISOString();

async function takeSlots(
  deps: IntakeDeps,
  crypto: OrgCrypto,
  orgId: string,
  sourceIp: string,
  emailIndex: string,
): Promise<void> {
  const now = deps.clock.now();
  const windowMs = INTAKE_LIMITS.windowSeconds * 1000;
  const windowEndsAt = new Date(Math.floor(now.getTime() / windowMs) * windowMs + windowMs);
  const retryAfter = Math.max(1, Math.ceil((windowEndsAt.getTime() - now.getTime()) / 1000));
  // The source address is keyed like an email (a keyed hash under the organization's index key).
  const sourceIndex = await crypto.blindIndex(`source:${sourceIp}`);
  if (
    (await deps.requests.takeIntakeSlot(
      orgId,
      `SRC-${sourceIndex}`,
      windowEndsAt,
      INTAKE_LIMITS.perSource,
    )) === 'full'
  )
    throw new TooManyRequestsError(retryAfter);
  if (
    (await deps.requests.takeIntakeSlot(
      orgId,
      `EMAIL-${emailIndex}`,
      windowEndsAt,
      INTAKE_LIMITS.perEmail,
    )) === 'full'
  )
    throw new TooManyRequestsError(retryAfter);
}

export async function submitRequest(
  deps: IntakeDeps,
  request: LinkRequest,
  orgId: string,
  input: IntakeInput,
): Promise<{ requestId: string }> {
  const org = await deps.orgs.get(orgId);
  if (org === undefined || org.status !== 'active' || org.requestIntake === false)
    throw new NotFoundError('organization');
  const crypto = requestCrypto(deps.keys, org);
  const subjectIndex = await crypto.blindIndex(input.email);
  await takeSlots(deps, crypto, orgId, request.sourceIp, subjectIndex);

  const requestId = newId();
  const code = newVerificationCode();
  const now = deps.clock.now();
  const at = now.toISOString();
  const seal = (field: string, value: string) => crypto.seal(requestId, field, value, REQUEST_PURPOSE);
  const stored: StoredRequest = {
    orgId,
    requestId,
    type: input.type,
    status: 'unverified',
    createdAt: at,
    updatedAt: at,
    timeline: [{ at, action: 'request.create' }],
    subjectIndex,
    sealedEmail: await seal('email', input.email),
    ...(input.name === undefined ? {} : { sealedName: await seal('name', input.name) }),
    ...(input.details === undefined ? {} : { sealedDetails: await seal('details', input.details) }),
    codeHash: await codeHashOf(crypto, requestId, code),
    codeExpiresAt: plusSeconds(now, CODE_TTL_SECONDS),
    codeTries: 0,
    expiresAt: plusSeconds(now, UNVERIFIED_TTL_SECONDS),
  };
  await deps.requests.create(stored, {
    draft: successDraft({
      orgId,
      action: 'request.create',
      resource: { type: 'request', id: requestId },
      detail: { type: input.type },
    }),
    actor: subjectActor(requestId, request),
  });
  await deps.mailer.send({
    to: input.email,
    ...verificationCodeEmail({
      organizationName: org.name,
      type: input.type,
      code,
      validMinutes: CODE_TTL_SECONDS / 60,
    }),
  });
  return { requestId };
}

export async function verifyRequest(
  deps: Omit<IntakeDeps, 'mailer'>,
  request: LinkRequest,
  requestId: string,
  code: string,
): Promise<{ status: 'open'; dueAt: string }> {
  const stored = await deps.requests.find(requestId);
  if (stored === undefined) throw new NotFoundError('request');
  const { orgId } = stored;
  const actor = subjectActor(requestId, request);
  const audit = (outcome: 'success' | 'denied', detail: Readonly<Record<string, string | number>>) =>
    deps.audit.append(
      outcomeDraft(outcome, {
        orgId,
        action: 'request.verify',
        resource: { type: 'request', id: requestId },
        detail,
      }),
      actor,
    );
  if (stored.status !== 'unverified') throw new ConflictError('The request is verified already');
  if (stored.codeTries >= MAX_CODE_TRIES || stored.codeHash === undefined)
    throw new LockedError('Too many wrong codes: the request is void; make a new one');
  const now = deps.clock.now();
  if (stored.codeExpiresAt === undefined || Date.parse(stored.codeExpiresAt) <= now.getTime())
    throw new GoneError('The code has expired; make a new request');

  const tries = await deps.requests.reserveCodeTry(orgId, requestId, MAX_CODE_TRIES);
  if (tries === 'locked') throw new LockedError('Too many wrong codes: the request is void; make a new one');
  const org = await deps.orgs.get(orgId);
  if (org === undefined || org.status !== 'active') throw new NotFoundError('request');
  const presented = Buffer.from(await codeHashOf(requestCrypto(deps.keys, org), requestId, code));
  const expected = Buffer.from(stored.codeHash);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    const triesLeft = MAX_CODE_TRIES - tries;
    await audit('denied', { reason: 'wrong-code', triesLeft });
    if (triesLeft <= 0) throw new LockedError('Too many wrong codes: the request is void; make a new one');
    throw new WrongCodeError(triesLeft);
  }
  await deps.requests.releaseCodeTry(orgId, requestId);
  const verifiedAt = now.toISOString();
  const dueAt = dueDateOf(now).toISOString();
  await deps.requests.verify(
    orgId,
    requestId,
    { verifiedAt, dueAt },
    { at: verifiedAt, action: 'request.verify' },
    {
      draft: successDraft({
        orgId,
        action: 'request.verify',
        resource: { type: 'request', id: requestId },
        detail: { dueAt },
      }),
      actor,
    },
  );
  return { status: 'open', dueAt };
}
