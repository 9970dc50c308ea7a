/**
 * Recipients (GDPR Art. 19): who received a job's data, or a person's, and each notice sent to
 * them since. The person's email travels in the body, never in the URL.
 */
import * as z from 'zod/mini';
import { email, id, listQuery, pageOf } from '../schemas.ts';
import type { RouteDefinition } from '../route.ts';

export const recipient = z
  .object({
    jobId: z.string(),
    extensionId: z.string(),
    vendor: z.string(),
    shares: z.array(
      z.object({
        at: z.string(),
        fields: z
          .array(z.string())
          .check(z.meta({ description: 'The field ids sent (your hidden fields left out); never values' })),
        outcome: z.enum(['pending', 'delivered', 'failed']).check(
          z.meta({
            description:
              '`pending`: sent, outcome not recorded; `failed`: sent, never accepted (the vendor may still hold it)',
          }),
        ),
      }),
    ),
    notices: z.array(
      z.object({
        noticeId: z.string(),
        event: z.enum(['job.rectified', 'job.erased', 'job.restricted']),
        fields: z.array(z.string()),
        at: z.string(),
        state: z
          .enum(['pending', 'delivered', 'failed'])
          .check(z.meta({ description: '`failed`: the last attempt failed; retried until dead-lettered' })),
      }),
    ),
  })
  .check(
    z.meta({
      id: 'Recipient',
      description:
        'An extension that may hold the job’s data (every share not refused before sending), and the Art. 19 notices it was sent',
    }),
  );

export const recipientRoutes = {
  jobRecipients: {
    method: 'GET',
    operationId: 'listJobRecipients',
    path: '/v1/orgs/{orgId}/jobs/{jobId}/recipients',
    fn: 'api-jobs',
    tag: 'Jobs',
    summary:
      "Who received this job's data (Art. 19): each extension, when, which fields, and the state of every notice of a rectification, erasure or restriction sent to it. Whoever may read the job",
    auth: 'jwt',
    params: z.object({ orgId: id, jobId: id }),
    query: listQuery,
    status: 200,
    response: pageOf(recipient),
  },
  subjectRecipients: {
    method: 'POST',
    operationId: 'listSubjectRecipients',
    path: '/v1/orgs/{orgId}/subjects/recipients',
    fn: 'api-subjects',
    tag: 'Data subjects',
    summary:
      "Who received the person's data (Art. 19 and 15(1)(c), subjects.access): the recipients of every job found by the blind index of their email, with their notices. Audited",
    auth: 'jwt',
    params: z.object({ orgId: id }),
    body: z.strictObject({ email }),
    status: 200,
    response: z.object({ items: z.array(recipient) }),
    audit: 'subject.recipients',
    example: { email: 'jane.roe@example.net' },
  },
} as const satisfies Record<string, RouteDefinition>;
