/** Data portability (GDPR Art. 20): exports of jobs and backups of the organization (the emailed link's page is download.ts). */
import * as z from 'zod/mini';
import { id } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';

const orgParams = z.object({ orgId: id });
const exportParams = z.object({ orgId: id, exportId: id });
const backupParams = z.object({ orgId: id, backupId: id });
const jobParams = z.object({ orgId: id, jobId: id });

const format = z.enum(['csv', 'xlsx']);
const XLSX_MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const status = z.enum(['pending', 'running', 'ready', 'failed']);
/** A worker's runs and its last sign of life; `running` with a `progressAt` minutes old means its worker died and a retry is coming. */
const workerProgress = {
  attempt: z.optional(z.number().check(z.int(), z.minimum(1))).check(
    z.meta({
      description: 'How many times a worker started on it; more than 1 after a crashed or failed run',
    }),
  ),
  progressAt: z.optional(z.string()).check(
    z.meta({
      description:
        "The worker's last sign of life (progress or heartbeat, about every 40 s while it runs). Older than 2 minutes while running: the worker died and the work is retried within minutes",
    }),
  ),
};

export const createExportBody = z.strictObject({ format, orchestrationId: z.optional(id) });
export const createBackupBody = z.strictObject({
  password: z
    .string()
    .check(
      z.minLength(12, 'At least 12 characters'),
      z.maxLength(1024),
      z.meta({ description: 'Encrypts the ZIP; never stored (only a slow hash for the download page)' }),
    ),
});
export const jobExportQuery = z.strictObject({ format: z._default(format, 'csv') });
/** The token is checked by the page itself, so a missing or malformed one gets the page's 404, not a 400. */

export const exportStatus = z
  .object({
    exportId: z.string(),
    status,
    format,
    orchestrationId: z.optional(z.string()),
    rowsWritten: z.number().check(z.int()),
    createdAt: z.string(),
    expiresAt: z.string(),
    failure: z.optional(z.string()),
    ...workerProgress,
    downloadUrl: z
      .optional(z.string())
      .check(z.meta({ description: 'Absolute presigned S3 URL, valid for minutes; present when ready' })),
  })
  .check(z.meta({ id: 'ExportStatus' }));

export const backupStatus = z
  .object({
    backupId: z.string(),
    status,
    rowsWritten: z.number().check(z.int()),
    expiresAt: z.string(),
    email: z
      .enum(['pending', 'sent', 'failed'])
      .check(z.meta({ description: "Whether the link went out to the owner's address" })),
    createdAt: z.string(),
    failure: z.optional(z.string()),
    ...workerProgress,
  })
  .check(z.meta({ id: 'BackupStatus' }));

export const portabilityRoutes = {
  createExport: {
    method: 'POST',
    operationId: 'createExport',
    path: '/v1/orgs/{orgId}/exports',
    fn: 'api-portability',
    tag: 'Data portability',
    summary:
      "Export all jobs, or one orchestration's, as CSV or XLSX (jobs.export); built in the background with only what the caller may see",
    auth: 'jwt',
    params: orgParams,
    body: createExportBody,
    status: 202,
    response: z.object({ exportId: z.string() }),
    audit: 'export.create',
    example: { format: 'csv', orchestrationId: '01JF6Q0Y7W3V5T8N2M4K6H8G0D' },
  },
  getExport: {
    method: 'GET',
    operationId: 'getExport',
    path: '/v1/orgs/{orgId}/exports/{exportId}',
    fn: 'api-portability',
    tag: 'Data portability',
    summary:
      'Status and progress of your export; when ready, a presigned download URL valid for minutes (410 after 7 days). Answered only while you may still make that export: 403 without jobs.export, 404 when limited out of its orchestration or removed',
    auth: 'jwt',
    params: exportParams,
    status: 200,
    response: exportStatus,
    answers: { 410: 'The export has expired' },
  },
  exportJob: {
    method: 'GET',
    operationId: 'exportJob',
    path: '/v1/orgs/{orgId}/jobs/{jobId}/export',
    fn: 'api-portability',
    tag: 'Data portability',
    summary:
      'One job as a CSV or XLSX file (your own jobs, or any you may read with jobs.export; restricted: owners only)',
    auth: 'jwt',
    params: jobParams,
    query: jobExportQuery,
    status: 200,
    answers: {
      200: {
        description: 'The file, as an attachment',
        content: { 'text/csv': 'text', [XLSX_MEDIA_TYPE]: 'binary' },
        headers: ['content-disposition'],
      },
      409: 'The job is restricted (`/restricted`): only owners export it',
    },
  },
  createBackup: {
    method: 'POST',
    operationId: 'createBackup',
    path: '/v1/orgs/{orgId}/backups',
    fn: 'api-portability',
    tag: 'Data portability',
    summary:
      'Back up the whole organization into an AES-256 encrypted ZIP (owner); the link is emailed to you',
    auth: 'jwt',
    params: orgParams,
    body: createBackupBody,
    status: 202,
    response: z.object({ backupId: z.string() }),
    audit: 'backup.create',
    example: { password: 'correct horse battery staple' },
  },
  getBackup: {
    method: 'GET',
    operationId: 'getBackup',
    path: '/v1/orgs/{orgId}/backups/{backupId}',
    fn: 'api-portability',
    tag: 'Data portability',
    summary: 'Status, progress, email delivery and expiry of a backup (owner)',
    auth: 'jwt',
    params: backupParams,
    status: 200,
    response: backupStatus,
    answers: { 410: 'The backup has expired' },
  },
} as const satisfies Record<string, RouteDefinition>;
