/**
 * Records-table keys of the deletion machinery, beside the tenant partitions of records-keys.ts:
 *
 *   pk                     sk               what
 *   DELETION#PENDING       ORG#<orgId>      an organization pending deletion (or being deleted)
 *   DELETION#PENDING       USER#<userId>    an account pending erasure, with the orgs it was in
 *   DELETION#<sha256 org>  RECORD           what is left of an erased organization: hashes, counts, times
 *   CLEANUP                EXPIRY_SCAN      where the last budget-limited sweep of expired items stopped
 *
 * The pending markers are the belt and braces of the deletion queue: each is written in the same
 * transaction as the request it stands for, so a cycle finds every pending deletion with one Query
 * even when its queue message was never sent, was lost or went to the dead-letter queue. The
 * partition takes one write per deletion request: far from any hot-partition limit.
 */
import { sha256Hex } from '../../domain/sha256.ts';

export const PENDING_DELETIONS_PK = 'DELETION#PENDING';
export const pendingOrgSk = (orgId: string): string => `ORG#${orgId}`;
export const pendingAccountSk = (userId: string): string => `USER#${userId}`;

export const deletionRecordKey = (orgId: string): { pk: string; sk: string } => ({
  pk: `DELETION#${sha256Hex(orgId)}`,
  sk: 'RECORD',
});

export const EXPIRY_SCAN_KEY = { pk: 'CLEANUP', sk: 'EXPIRY_SCAN' } as const;
