/**
 * The Art. 30 record through the api-accountability function against the emulators: built from
 * what the organization really stored (orchestrations with and without their statements, a
 * custom role in an access limit, consents in force and withdrawn, a retention rule), the same
 * field by field as JSON, CSV and XLSX; owners and admins only; every read audited.
 */
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import ExcelJS from 'exceljs';
import { FunctionRuntime } from '../../infra/local/invoke.ts';
import { httpApiEvent } from '../../infra/local/lambda-events.ts';
import { functionNamed } from '../../infra/manifest.ts';
import { routeKey } from '../../shared/api/route.ts';
import { accountabilityRoutes } from '../../shared/api/routes/accountability.ts';
import { extensionRoutes } from '../../shared/api/routes/extensions.ts';
import { orchestrationRoutes } from '../../shared/api/routes/orchestrations.ts';
import { addMember, createOrchestration, createOrg, createRole } from './api/fixtures.ts';
import { callRoute, newUser, pathOf, type TestUser } from './api/invoke-route.ts';
import { auditEvents } from './api/stored.ts';
import { bearer } from '../support/tokens.ts';
import { testEnv } from '../support/test-stack.ts';

const r = accountabilityRoutes;
const owner = newUser('owner');
const admin = newUser('admin');
const member = newUser('member');
const auditor = newUser('auditor');
let orgId: string;
let claims: string;
let legacy: string;
let roleId: string;

/** The raw bytes of an answer (callRoute decodes bodies as UTF-8 text, which an XLSX is not). */
async function recordBytes(
  as: TestUser,
  format: 'csv' | 'xlsx',
): Promise<{ status: number; type: string; disposition: string; bytes: Buffer }> {
  const route = r.recordsOfProcessing;
  const event = httpApiEvent({
    method: route.method,
    rawPath: pathOf(route, { orgId }),
    rawQueryString: `format=${format}`,
    headers: { host: 'localhost', 'user-agent': 'custos-tests', authorization: bearer(as) },
    body: Buffer.alloc(0),
    routeKey: routeKey(route),
    pathParameters: { orgId },
    sourceIp: '192.0.2.10',
  });
  const result = (await new FunctionRuntime().invoke(
    functionNamed(route.fn),
    event,
  )) as APIGatewayProxyStructuredResultV2;
  const body = result.body ?? '';
  return {
    status: result.statusCode ?? 200,
    type: String(result.headers?.['content-type'] ?? ''),
    disposition: String(result.headers?.['content-disposition'] ?? ''),
    bytes: result.isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
  };
}

/** RFC 4180 as the CSV writer produces it (BOM, CRLF, quotes doubled inside quoted cells). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const source = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < source.length; i += 1) {
    const c = source[i]!;
    if (quoted) {
      if (c === '"' && source[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && source[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

async function xlsxRows(bytes: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.read(Readable.from(bytes));
  const sheet = workbook.worksheets[0]!;
  const rows: string[][] = [];
  sheet.eachRow((row) => {
    const cells: string[] = [];
    for (let c = 1; c <= sheet.columnCount; c += 1) {
      const value = row.getCell(c).value;
      cells.push(value === null || value === undefined ? '' : String(value));
    }
    rows.push(cells);
  });
  return rows;
}

beforeAll(async () => {
  orgId = await createOrg(owner, 'Fixit Repairs');
  await addMember(orgId, owner, admin, 'admin');
  await addMember(orgId, owner, member, 'member');
  roleId = await createRole(orgId, owner, { name: 'Claims desk', permissions: ['jobs.read_all'] });
  await addMember(orgId, owner, auditor, roleId);
  claims = await createOrchestration(orgId, owner, {
    name: 'Claims',
    purpose: 'Handling insurance claims of our customers',
    legalBasis: 'contract',
    subjectCategory: 'customers',
    access: { roles: [roleId, 'member'], users: [member.sub] },
  });
  // Made before orchestrations stated anything: every statement reads "not stated".
  legacy = await createOrchestration(orgId, owner, {
    name: 'Archive',
    fields: [{ id: 'note', label: '=Note', type: 'text' }],
  });
  // Retention is stored by issue 22's route; written here as it will be stored.
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  await documents.send(
    new UpdateCommand({
      TableName: testEnv('RECORDS_TABLE'),
      Key: { pk: `ORG#${orgId}`, sk: `ORCH#${claims}` },
      UpdateExpression: 'SET retention = :retention',
      ExpressionAttributeValues: { ':retention': { days: 365, from: 'final_stage', action: 'anonymize' } },
    }),
  );
  const consent = (extensionId: string, body: unknown) =>
    callRoute({ route: extensionRoutes.grantConsent, as: owner, params: { orgId, extensionId }, body });
  expect(
    (
      await consent('postbox-campaigns', {
        fields: [
          { orchestrationId: claims, fieldId: 'email' },
          { orchestrationId: claims, fieldId: 'title' },
        ],
        purpose: 'Claim status mailings',
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await consent('custom-webhook', {
        fields: [{ orchestrationId: claims, fieldId: 'phone' }],
        purpose: 'Call-back queue',
        webhookUrl: 'https://hooks.fixit.example/custos',
      })
    ).status,
  ).toBe(201);
  // A consent withdrawn is no recipient.
  expect(
    (
      await consent('acme-crm', {
        fields: [{ orchestrationId: claims, fieldId: 'email' }],
        purpose: 'CRM',
        webhookUrl: 'https://fixit.hooks.acme-crm.example/custos/v1/contacts',
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await callRoute({
        route: extensionRoutes.revokeExtension,
        as: owner,
        params: { orgId, extensionId: 'acme-crm' },
      })
    ).status,
  ).toBeLessThan(300);
});

test('the JSON record states each orchestration, its personal data, recipients, retention and access limits', async () => {
  // Act
  const answer = await callRoute({ route: r.recordsOfProcessing, as: admin, params: { orgId } });
  // Assess
  expect(answer.status).toBe(200);
  expect(answer.body.controller).toEqual({ orgId, name: 'Fixit Repairs' });
  expect(answer.body.activities).toEqual([
    {
      orchestrationId: legacy,
      name: 'Archive',
      purpose: 'not stated',
      legalBasis: 'not stated',
      subjectCategory: 'not stated',
      personalData: [],
      recipients: [],
      retention: 'none',
      security: { encryptedFields: [], accessLimits: 'none' },
    },
    {
      orchestrationId: claims,
      name: 'Claims',
      purpose: 'Handling insurance claims of our customers',
      legalBasis: 'contract',
      subjectCategory: 'customers',
      personalData: [
        {
          id: 'email',
          label: 'Customer email',
          type: 'email',
          personal: true,
          encrypted: true,
          subject: true,
        },
        { id: 'phone', label: 'Phone', type: 'phone', personal: true, encrypted: false, subject: false },
        { id: 'ssn', label: 'SSN', type: 'text', personal: true, encrypted: true, subject: false },
      ],
      recipients: [
        {
          extensionId: 'custom-webhook',
          name: 'Your own webhook',
          vendor: 'Your organization',
          purpose: 'Call-back queue',
          consentVersion: 1,
          consentedAt: expect.any(String),
          fields: ['phone'],
        },
        {
          extensionId: 'postbox-campaigns',
          name: 'Postbox campaigns',
          vendor: 'Postbox Mailing GmbH',
          purpose: 'Claim status mailings',
          consentVersion: 1,
          consentedAt: expect.any(String),
          fields: ['email', 'title'],
        },
      ].sort((a, b) => a.extensionId.localeCompare(b.extensionId)),
      retention: { days: 365, from: 'final_stage', action: 'anonymize' },
      security: {
        encryptedFields: ['email', 'ssn'],
        accessLimits: {
          roles: [
            { id: roleId, name: 'Claims desk' },
            { id: 'member', name: 'member' },
          ],
          users: [member.sub],
        },
      },
    },
  ]);
});

test('CSV and XLSX carry the same record, one row per personal field, formula-safe', async () => {
  // Prepare
  const json = (await callRoute({ route: r.recordsOfProcessing, as: owner, params: { orgId } })).body;
  const claimsActivity = json.activities.find(
    (a: { orchestrationId: string }) => a.orchestrationId === claims,
  );
  const recipientOf = (id: string) => {
    const found = claimsActivity.recipients.find((x: { extensionId: string }) => x.extensionId === id);
    return `${found.name} (${found.vendor}), consent v1 of ${found.consentedAt}: ${found.purpose}`;
  };
  const limits = `owners and admins; roles: Claims desk, member; users: ${member.sub}`;
  const claimsRow = (field: string[], recipients: string) => [
    'Claims',
    claims,
    'Handling insurance claims of our customers',
    'contract',
    'customers',
    ...field,
    recipients,
    'anonymize 365 days after reaching the final stage',
    limits,
  ];
  const expected = [
    [
      'Processing activity',
      'Orchestration id',
      'Purpose',
      'Legal basis (Art. 6(1))',
      'Category of data subjects',
      'Field id',
      'Category of personal data',
      'Field type',
      'Personal',
      'Encrypted',
      'Identifies the subject',
      'Recipients',
      'Retention',
      'Access limits',
    ],
    ['Archive', legacy, 'not stated', 'not stated', 'not stated', '', '', '', '', '', '', '', 'none', 'none'],
    claimsRow(['email', 'Customer email', 'email', 'yes', 'yes', 'yes'], recipientOf('postbox-campaigns')),
    claimsRow(['phone', 'Phone', 'phone', 'yes', 'no', 'no'], recipientOf('custom-webhook')),
    claimsRow(['ssn', 'SSN', 'text', 'yes', 'yes', 'no'], ''),
  ];
  // Act
  const csv = await recordBytes(owner, 'csv');
  const xlsx = await recordBytes(admin, 'xlsx');
  // Assess
  expect(csv).toMatchObject({
    status: 200,
    type: expect.stringMatching(/^text\/csv/),
    disposition: expect.stringMatching(/attachment; filename="records-of-processing-.*\.csv"/),
  });
  expect(parseCsv(csv.bytes.toString('utf8'))).toEqual(expected);
  expect(xlsx).toMatchObject({ status: 200, type: expect.stringMatching(/spreadsheetml/) });
  expect(await xlsxRows(xlsx.bytes)).toEqual(expected);
});

test('a label that looks like a formula is neutralized in the files', async () => {
  // Prepare
  await callRoute({
    route: orchestrationRoutes.updateOrchestration,
    as: owner,
    params: { orgId, orchestrationId: legacy },
    body: { fields: [{ id: 'note', label: '=Note', type: 'text', personal: true }] },
  });
  // Act
  const csv = parseCsv((await recordBytes(owner, 'csv')).bytes.toString('utf8'));
  // Assess
  expect(csv.find((row) => row[1] === legacy)?.[6]).toBe("'=Note");
  await callRoute({
    route: orchestrationRoutes.updateOrchestration,
    as: owner,
    params: { orgId, orchestrationId: legacy },
    body: { fields: [{ id: 'note', label: '=Note', type: 'text' }] },
  });
});

test('members and custom roles get 403, strangers 404; each read is one audit event naming its format', async () => {
  // Act
  const statuses = await Promise.all(
    [member, auditor, newUser('stranger')].map(
      async (as) => (await callRoute({ route: r.recordsOfProcessing, as, params: { orgId } })).status,
    ),
  );
  const before = (await auditEvents(orgId)).length;
  await callRoute({ route: r.recordsOfProcessing, as: admin, params: { orgId }, query: { format: 'csv' } });
  const added = (await auditEvents(orgId)).slice(before);
  // Assess
  expect(statuses).toEqual([403, 403, 404]);
  expect(added).toEqual([
    expect.objectContaining({
      action: 'processing.record',
      actor: admin.sub,
      outcome: 'success',
      detail: { format: 'csv', activities: 2 },
    }),
  ]);
});

test('purpose, legal basis and subject category are validated, shown, and cleared with null', async () => {
  // Act
  const bad = await callRoute({
    route: orchestrationRoutes.updateOrchestration,
    as: owner,
    params: { orgId, orchestrationId: legacy },
    body: { legalBasis: 'because' },
  });
  const set = await callRoute({
    route: orchestrationRoutes.updateOrchestration,
    as: owner,
    params: { orgId, orchestrationId: legacy },
    body: { purpose: 'Keeping old notes', legalBasis: 'legal_obligation' },
  });
  const cleared = await callRoute({
    route: orchestrationRoutes.updateOrchestration,
    as: owner,
    params: { orgId, orchestrationId: legacy },
    body: { purpose: null, legalBasis: null },
  });
  // Assess
  expect(bad.status).toBe(400);
  expect(set.body).toMatchObject({ purpose: 'Keeping old notes', legalBasis: 'legal_obligation' });
  expect(cleared.status).toBe(200);
  expect(cleared.body).not.toHaveProperty('purpose');
  expect(cleared.body).not.toHaveProperty('legalBasis');
});
