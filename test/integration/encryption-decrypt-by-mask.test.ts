/**
 * Decryption happens only for principals whose field mask lets them read the field: a custom role
 * with the only encrypted field `hidden` reads and lists jobs without a single KMS Decrypt (counted
 * on the wire, by middleware on the functions' own KMS client, with the data key cache cold as in
 * a new function instance) and without a decrypting-read audit event. The owner's read of the same
 * jobs is the control: it does cost the one Decrypt.
 */
import { kms } from '../../shared/adapters/aws/clients.ts';
import { jobRoutes } from '../../shared/api/routes/jobs.ts';
import * as services from '../../shared/services.ts';
import { addMember, createJob, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser } from './api/invoke-route.ts';
import { auditEvents } from './api/stored.ts';

const owner = newUser('mask-owner');
const hider = newUser('mask-hidden');
const SSN = 'SSN-MASK-5521';
const FIELDS = [
  { id: 'title', label: 'Title', type: 'text' },
  { id: 'ssn', label: 'SSN', type: 'text', personal: true, encrypted: true },
];
const COUNTER = 'countDecryptForMaskTest';

let orgId: string;
let orchestrationId: string;
const jobIds: string[] = [];
let decrypts = 0;

beforeAll(async () => {
  orgId = await createOrg(owner, 'Masks & Co');
  orchestrationId = await createOrchestration(orgId, owner, { name: 'One secret', fields: FIELDS });
  const roleId = await createRole(orgId, owner, {
    name: 'No SSN',
    permissions: ['jobs.read_all'],
    fieldPermissions: { [orchestrationId]: { ssn: 'hidden' } },
  });
  await addMember(orgId, owner, hider, roleId);
  for (let i = 0; i < 3; i += 1)
    jobIds.push(await createJob(orgId, orchestrationId, owner, { title: `Claim ${i}`, ssn: `${SSN}-${i}` }));
  // The client the functions' KmsKeys sends with: every Decrypt they make goes through here.
  kms().middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'DecryptCommand') decrypts += 1;
      return next(args);
    },
    { step: 'initialize', name: COUNTER },
  );
});

afterAll(() => {
  kms().middlewareStack.remove(COUNTER);
});

beforeEach(() => {
  // A cold cache, as in a new function instance: any unwrap now costs a Decrypt on the wire.
  services.keys().forget(orgId);
  decrypts = 0;
});

test('a role with the encrypted field hidden reads and lists jobs without any Decrypt', async () => {
  // Prepare
  const eventsBefore = (await auditEvents(orgId)).length;
  // Act
  const reads = await Promise.all(
    jobIds.map((jobId) => callRoute({ route: jobRoutes.getJob, as: hider, params: { orgId, jobId } })),
  );
  const list = await callRoute({ route: jobRoutes.listJobs, as: hider, params: { orgId, orchestrationId } });
  // Assess
  for (const [i, read] of reads.entries()) {
    expect(read.status).toBe(200);
    expect(read.body.fields).toEqual({ title: `Claim ${i}` });
  }
  expect(list.status).toBe(200);
  expect(list.body.items).toHaveLength(3);
  for (const item of list.body.items) expect(item.fields).not.toHaveProperty('ssn');
  expect(decrypts).toBe(0);
  // Nothing was decrypted, so no decrypting-read event either.
  expect(
    (await auditEvents(orgId)).slice(eventsBefore).filter((event) => event.action === 'job.read'),
  ).toEqual([]);
});

test('control: the owner reading the same jobs costs exactly one Decrypt (then the cache serves)', async () => {
  const read = await callRoute({ route: jobRoutes.getJob, as: owner, params: { orgId, jobId: jobIds[0]! } });
  const list = await callRoute({ route: jobRoutes.listJobs, as: owner, params: { orgId, orchestrationId } });

  expect(read.status).toBe(200);
  expect(read.body.fields.ssn).toBe(`${SSN}-0`);
  expect(list.body.items.map((item: { fields: { ssn: string } }) => item.fields.ssn).sort()).toEqual(
    [0, 1, 2].map((i) => `${SSN}-${i}`),
  );
  expect(decrypts).toBe(1);
});
