/**
 * The single-table layout of the records table. Every item of an organization lives in the
 * partition `ORG#<orgId>`, so a tenant is one Query away and its deletion is a partition sweep.
 *
 *   pk            sk                       what
 *   ORG#<org>     ORG                      the organization (and its wrapped data key)
 *   ORG#<org>     MEMBER#<userId>          a membership   gsi1: USER#<userId> / ORG#<org>
 *   ORG#<org>     ROLE#<roleId>            a custom role
 *   ORG#<org>     ORCH#<orchestrationId>   an orchestration
 *                                          with a retention rule also  gsi1: RETENTION / ORG#<org>#ORCH#<orchestrationId>
 *   ORG#<org>     JOB#<jobId>              a job          gsi2: ORG#<org>#SUBJ#<blind index> / JOB#<jobId>
 *                                                         gsi3: ORG#<org>#ORCH#<orchestrationId> / JOB#<jobId>
 *                                          unless held or anonymized  gsi4: ORG#<org>#ORCH#<orchestrationId> / <createdAt>#<jobId>
 *   ORG#<org>     EXT#<extensionId>        consent and sealed token of an extension
 *   ORG#<org>     EXPORT#<id> / BACKUP#<id> portability requests
 *   ORG#<org>     REQUEST#<id>             a data subject request  gsi1: REQUEST#<id> / ORG#<org>
 *                                          while open  gsi3: REQUESTS-DUE / <dueAt>#<org>#<id>  (dynamo-subject-requests.ts)
 *   ORG#<org>     INTAKE#<hash>#<end>      a request intake counter of one hour
 *
 * Ids are ULIDs, so `ORG#<id>` can never be a prefix of a neighbour's partition key.
 *
 * Retention (docs/decisions/0008-retention-index.md): the clean-up cycle finds the orchestrations
 * that have a rule through the sparse `RETENTION` partition of gsi1 (swept with the organization,
 * since the items live in its partition), then each one's due jobs through gsi4, whose sort key
 * starts with the creation time: every basis of a rule (created, updated, entered the final stage)
 * is at or after it, so `gsi4sk < cutoff` holds every due job, and a filter on the basis keeps
 * only those. The rule is applied at query time, so a changed rule takes effect at the next cycle
 * without rewriting a job; held and anonymized jobs are out of the index, so they cost nothing.
 */
export const GSI_BY_USER = 'byUser';
export const GSI_BY_SUBJECT = 'bySubject';
export const GSI_BY_ORCHESTRATION = 'byOrchestration';
export const GSI_BY_RETENTION = 'byRetention';

export const orgPk = (orgId: string): string => `ORG#${orgId}`;
export const ORG_SK = 'ORG';
export const memberSk = (userId: string): string => `MEMBER#${userId}`;
export const userGsiPk = (userId: string): string => `USER#${userId}`;
export const roleSk = (roleId: string): string => `ROLE#${roleId}`;
export const orchestrationSk = (orchestrationId: string): string => `ORCH#${orchestrationId}`;
export const jobSk = (jobId: string): string => `JOB#${jobId}`;
export const subjectGsiPk = (orgId: string, blindIndex: string): string => `ORG#${orgId}#SUBJ#${blindIndex}`;
export const orchestrationGsiPk = (orgId: string, orchestrationId: string): string =>
  `ORG#${orgId}#ORCH#${orchestrationId}`;
/** gsi1 partition of the orchestrations that carry a retention rule (gsi1sk: their orchestrationGsiPk). */
export const RETENTION_GSI_PK = 'RETENTION';
/** gsi4 sort key of a job: its creation time, then its id (unique, and ordered like the time). */
export const retentionGsiSk = (createdAt: string, jobId: string): string => `${createdAt}#${jobId}`;

/** The attribute names of the key and index attributes, which never leave the adapters. */
export const KEY_ATTRIBUTES = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'gsi3pk',
  'gsi3sk',
  'gsi4pk',
  'gsi4sk',
  'kind',
  'expiresAt',
] as const;

export function stripKeys<T>(item: Record<string, unknown>): T {
  const copy: Record<string, unknown> = { ...item };
  for (const key of KEY_ATTRIBUTES) delete copy[key];
  return copy as T;
}
