/**
 * A real organization for the security suite, seeded through the real routes: its owner, an
 * orchestration with fields of every type, two jobs, a member, a custom role, an export and a
 * backup request, and real pagination cursors (so forged ones have genuine ones to imitate).
 * `ids` maps each path parameter name of the route table to a value that exists.
 */
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import { auditRoutes } from '../../shared/api/routes/audit.ts';
import { portabilityRoutes } from '../../shared/api/routes/portability.ts';
import {
  addMember,
  createJob,
  createOrchestration,
  createOrg,
  createRole,
} from '../integration/api/fixtures.ts';
import { callRoute, newUser, type TestUser } from '../integration/api/invoke-route.ts';

export interface SeededOrg {
  readonly owner: TestUser;
  readonly member: TestUser;
  readonly orgId: string;
  readonly ids: Readonly<Record<string, string>>;
  /** Genuine cursors of this organization's lists. */
  readonly cursors: readonly string[];
}

async function accepted(promise: ReturnType<typeof callRoute>, field: string, what: string): Promise<string> {
  const answer = await promise;
  if (answer.status >= 300) throw new Error(`${what}: ${answer.status} ${answer.text}`);
  return answer.body[field] as string;
}

export async function seedOrg(label: string, options: { portability?: boolean } = {}): Promise<SeededOrg> {
  const owner = newUser(`${label}-owner`);
  const member = newUser(`${label}-member`);
  const orgId = await createOrg(owner, `${label} org`);
  const orchestrationId = await createOrchestration(orgId, owner);
  const jobId = await createJob(orgId, orchestrationId, owner, {
    title: 'First',
    email: 'subject@example.test',
    amount: 3,
  });
  await createJob(orgId, orchestrationId, owner, { title: 'Second' });
  await addMember(orgId, owner, member, 'member');
  const roleId = await createRole(orgId, owner, { name: `${label} role`, permissions: [] });
  const ids: Record<string, string> = { orgId, orchestrationId, jobId, roleId, userId: member.sub };
  if (options.portability !== false) {
    ids.exportId = await accepted(
      callRoute({
        route: portabilityRoutes.createExport,
        as: owner,
        params: { orgId },
        body: { format: 'csv' },
      }),
      'exportId',
      'export',
    );
    ids.backupId = await accepted(
      callRoute({
        route: portabilityRoutes.createBackup,
        as: owner,
        params: { orgId },
        body: { password: 'correct horse battery' },
      }),
      'backupId',
      'backup',
    );
  }
  const cursors: string[] = [];
  const jobs = await callRoute({
    route: jobRoutes.listJobs,
    as: owner,
    params: { orgId, orchestrationId },
    query: { limit: '1' },
  });
  if (typeof jobs.body?.nextCursor === 'string') cursors.push(jobs.body.nextCursor);
  const audit = await callRoute({
    route: auditRoutes.listAudit,
    as: owner,
    params: { orgId },
    query: { limit: '1' },
  });
  if (typeof audit.body?.nextCursor === 'string') cursors.push(audit.body.nextCursor);
  return { owner, member, orgId, ids, cursors };
}
