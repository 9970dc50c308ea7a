/** The emailed backup link (function `download`): public HTML pages that ask for the backup password. */
import * as z from 'zod/mini';
import { id } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';

const linkParams = z.object({ backupId: id });
/** The download page's own answers: HTML pages that say what happened and what to do. */
const page = (description: string) => ({ description, content: { 'text/html': 'text' } }) as const;

export const downloadQuery = z.object({ token: z.optional(z.string().check(z.maxLength(256))) });
export const downloadForm = z.object({
  token: z.string().check(z.maxLength(256)),
  password: z.string().check(z.maxLength(1024)),
});

export const downloadRoutes = {
  downloadPage: {
    method: 'GET',
    operationId: 'showBackupDownloadPage',
    path: '/v1/backups/{backupId}/download',
    fn: 'download',
    tag: 'Data portability',
    summary:
      'The emailed link: an HTML page asking for the backup password (404 unknown link, 410 expired or revoked: the owner who asked is no longer an owner, 423 locked)',
    auth: 'none',
    params: linkParams,
    query: downloadQuery,
    status: 200,
    answers: {
      200: page('The page asking for the password'),
      404: page('An unknown link or token'),
      410: page('The link has expired (7 days)'),
      423: page('Locked after 5 wrong passwords'),
    },
  },
  downloadSubmit: {
    method: 'POST',
    operationId: 'submitBackupPassword',
    path: '/v1/backups/{backupId}/download',
    fn: 'download',
    tag: 'Data portability',
    summary:
      'Checks the password: 303 to a presigned S3 URL valid for minutes; 401 wrong (tries left), 423 after 5 wrong tries, 410 expired or revoked (the owner who asked is no longer an owner)',
    auth: 'none',
    params: linkParams,
    body: downloadForm,
    bodyEncoding: 'form',
    status: 303,
    answers: {
      303: {
        description: 'The password is right: to a presigned S3 URL of the ZIP, valid for minutes',
        headers: ['location'],
      },
      401: page('A wrong password; the page says how many tries are left'),
      404: page('An unknown link or token'),
      410: page('The link has expired (7 days)'),
      423: page('Locked after 5 wrong passwords'),
    },
  },
} as const satisfies Record<string, RouteDefinition>;
