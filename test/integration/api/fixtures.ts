/** Seeding through the real routes (so seeded data is exactly what the API would have written). */
import { jobRoutes } from '../../../shared/api/routes/jobs.ts';
import { orchestrationRoutes } from '../../../shared/api/routes/orchestrations.ts';
import { orgRoutes } from '../../../shared/api/routes/orgs.ts';
import { roleRoutes } from '../../../shared/api/routes/roles.ts';
import { callRoute, type RouteAnswer, type TestUser } from './invoke-route.ts';

async function expectStatus(
  answer: Promise<RouteAnswer>,
  status: number,
  what: string,
): Promise<RouteAnswer> {
  const result = await answer;
  if (result.status !== status)
    throw new Error(`${what}: expected ${status}, got ${result.status} ${result.text}`);
  return result;
}

export async function createOrg(owner: TestUser, name: string): Promise<string> {
  const answer = await expectStatus(
    callRoute({ route: orgRoutes.createOrg, as: owner, body: { name } }),
    201,
    'create org',
  );
  return answer.body.orgId as string;
}

export async function addMember(orgId: string, by: TestUser, user: TestUser, role: string): Promise<void> {
  await expectStatus(
    callRoute({
      route: orgRoutes.addMember,
      as: by,
      params: { orgId },
      body: { userId: user.sub, email: user.email, role },
    }),
    201,
    'add member',
  );
}

export async function createRole(
  orgId: string,
  by: TestUser,
  body: Record<string, unknown>,
): Promise<string> {
  const answer = await expectStatus(
    callRoute({ route: roleRoutes.createRole, as: by, params: { orgId }, body }),
    201,
    'create role',
  );
  return answer.body.roleId as string;
}

/** Fields of every type; `email` is the (encrypted) subject, `ssn` an encrypted personal text. */
export const SAMPLE_FIELDS = [
  { id: 'title', label: 'Title', type: 'text' },
  { id: 'email', label: 'Customer email', type: 'email', personal: true, encrypted: true, subject: true },
  { id: 'phone', label: 'Phone', type: 'phone', personal: true },
  { id: 'amount', label: 'Amount', type: 'number' },
  { id: 'due', label: 'Due', type: 'date' },
  { id: 'ssn', label: 'SSN', type: 'text', personal: true, encrypted: true },
] as const;

export async function createOrchestration(
  orgId: string,
  by: TestUser,
  body: Record<string, unknown> = {},
): Promise<string> {
  const answer = await expectStatus(
    callRoute({
      route: orchestrationRoutes.createOrchestration,
      as: by,
      params: { orgId },
      body: { name: 'Claims', stages: ['new', 'review', 'done'], fields: SAMPLE_FIELDS, ...body },
    }),
    201,
    'create orchestration',
  );
  return answer.body.orchestrationId as string;
}

export async function createJob(
  orgId: string,
  orchestrationId: string,
  by: TestUser,
  fields: Record<string, unknown>,
): Promise<string> {
  const answer = await expectStatus(
    callRoute({ route: jobRoutes.createJob, as: by, params: { orgId, orchestrationId }, body: { fields } }),
    201,
    'create job',
  );
  return answer.body.jobId as string;
}
