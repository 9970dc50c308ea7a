/**
 * Writers of one organization race on its owner count (owners); their audit events share nothing.
 * Each transaction that loses must retry, not fail: concurrent additions all land, each with one
 * audit event.
 */
import { orgRoutes } from '../../shared/api/routes/orgs.ts';
import { callRoute, newUser } from './api/invoke-route.ts';

test('sixteen members added at once all land, each with its own audit event', async () => {
  // Prepare
  const owner = newUser('owner');
  const created = await callRoute({ route: orgRoutes.createOrg, as: owner, body: { name: 'Racing Ltd' } });
  expect(created.status).toBe(201);
  const orgId: string = created.body.orgId;
  const newcomers = Array.from({ length: 16 }, (_, i) => newUser(`member${i}`));

  // Act
  const answers = await Promise.all(
    newcomers.map((user, i) =>
      callRoute({
        route: orgRoutes.addMember,
        as: owner,
        params: { orgId },
        body: { userId: user.sub, email: user.email, role: i % 2 === 0 ? 'member' : 'owner' },
      }),
    ),
  );

  // Assess
  expect(answers.map((a) => a.status)).toEqual(newcomers.map(() => 201));
  const members = await callRoute({ route: orgRoutes.listMembers, as: owner, params: { orgId } });
  expect(members.body.items).toHaveLength(17);
});
