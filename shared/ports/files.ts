/**
 * Files: exports and backups in object storage, always under their organization's prefix
 * `orgs/<orgId>/`, so erasing an organization's files is one prefix sweep that cannot reach
 * another tenant's.
 */
import type { Readable } from 'node:stream';

export interface Files {
  /** Streams `body` to `key` (multipart, bounded memory); resolves once stored, with its size. */
  upload(key: string, body: Readable, contentType: string): Promise<{ bytes: number }>;
  /**
   * A URL that downloads `key` without credentials for `seconds`, as an attachment named
   * `downloadName` when given. A URL signed with temporary credentials dies with them: minutes only.
   */
  presignGet(key: string, seconds: number, downloadName?: string): Promise<string>;
  delete(key: string): Promise<void>;
  /** Deletes every object under `prefix`, which must lie inside one organization (`orgs/<id>/…`). */
  deletePrefix(prefix: string): Promise<{ deleted: number }>;
  exists(key: string): Promise<boolean>;
}

const ORG_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const ORG_PREFIX = /^orgs\/([^/]+)\//;

function assertPlainPart(part: string): void {
  const plain =
    part.length > 0 &&
    part.length <= 255 &&
    part !== '.' &&
    part !== '..' &&
    !/[/\\\u0000-\u001F\u007F]/.test(part);
  if (!plain) throw new Error('A file key part must be a plain, non-empty name without slashes');
}

/** `orgs/<orgId>/<parts…>`: every part a plain name, so no key escapes its organization. */
export function orgFileKey(orgId: string, ...parts: string[]): string {
  if (!ORG_SEGMENT.test(orgId)) throw new Error('An organization id in a file key must be URL-safe');
  if (parts.length === 0) throw new Error('A file key needs a name under the organization');
  parts.forEach(assertPlainPart);
  return ['orgs', orgId, ...parts].join('/');
}

/** The prefix of all of an organization's files, for its erasure. */
export function orgFilePrefix(orgId: string): string {
  if (!ORG_SEGMENT.test(orgId)) throw new Error('An organization id in a file key must be URL-safe');
  return `orgs/${orgId}/`;
}

/** Throws unless `keyOrPrefix` lies inside one organization's folder and holds no `..`/empty parts. */
export function assertOrgScoped(keyOrPrefix: string): void {
  const match = ORG_PREFIX.exec(keyOrPrefix);
  const org = match?.[1];
  const rest = keyOrPrefix.slice(match?.[0].length ?? 0).split('/');
  // A prefix may end with `/` (its last part empty); no other part may be empty, `.` or `..`.
  const partsOk = rest.every((part, index) =>
    part === '' ? index === rest.length - 1 : part !== '.' && part !== '..',
  );
  if (org === undefined || !ORG_SEGMENT.test(org) || !partsOk)
    throw new Error('File keys and prefixes must lie under orgs/<orgId>/');
}
