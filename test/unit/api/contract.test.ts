/**
 * The test of the contract test: the checker that runs over every recorded answer must fail for
 * each reason it exists, or a passing contract run means nothing.
 */
import { describe, expect, test } from '@jest/globals';
import { buildOpenApiDocument } from '../../../shared/api/openapi.ts';
import { contractViolations, type OpenApiDocument } from '../../support/contract.ts';
import { exchangeOf, type Answered } from '../../support/contract-recorder.ts';

const document = buildOpenApiDocument() as OpenApiDocument;
const ORG = {
  orgId: '01JF6Q0Y7W3V5T8N2M4K6H8G0D',
  name: 'Acme',
  status: 'active',
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  role: 'owner',
};
const JOB = {
  jobId: '01JF6Q0Y7W3V5T8N2M4K6H8G0E',
  orchestrationId: '01JF6Q0Y7W3V5T8N2M4K6H8G0F',
  ownerId: 'mia',
  stage: 'received',
  fields: { device: 'Bicycle' },
  restricted: false,
  version: 1,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
};
const json = { 'content-type': 'application/json' };

const createOrg = (answer: Partial<Answered>): Answered => ({
  method: 'POST',
  path: '/v1/orgs',
  status: 201,
  headers: json,
  text: JSON.stringify(ORG),
  ...answer,
});
const getJob = (answer: Partial<Answered>): Answered => ({
  method: 'GET',
  path: '/v1/orgs/{orgId}/jobs/{jobId}',
  status: 200,
  headers: { ...json, etag: '"1"' },
  text: JSON.stringify(JOB),
  ...answer,
});
const check = (...answers: Answered[]): string[] =>
  contractViolations(document, answers.map(exchangeOf), { requireEveryOperation: false });

describe('the contract check', () => {
  test('answers as declared pass', () => {
    const problem = {
      type: 'https://custos.dev/problems/restricted',
      title: 'Conflict',
      status: 409,
      detail: 'The record is restricted',
    };
    expect(
      check(
        createOrg({}),
        getJob({}),
        {
          method: 'PATCH',
          path: '/v1/orgs/{orgId}/jobs/{jobId}',
          status: 409,
          headers: { 'content-type': 'application/problem+json' },
          text: JSON.stringify(problem),
        },
        {
          method: 'GET',
          path: '/v1/orgs/{orgId}/jobs/{jobId}/export',
          status: 200,
          headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment' },
          text: 'a,b\n',
        },
        { method: 'DELETE', path: '/v1/orgs/{orgId}/jobs/{jobId}', status: 204, headers: {}, text: '' },
      ),
    ).toEqual([]);
  });

  test('an undeclared status fails', () => {
    expect(check(createOrg({ status: 418 }))).toEqual(['POST /v1/orgs → 418: status not declared']);
  });

  test('a body that does not match its schema fails, naming where', () => {
    const { orgId: _, ...withoutId } = ORG;
    expect(check(createOrg({ text: JSON.stringify(withoutId) }))).toEqual([
      expect.stringMatching(
        /^POST \/v1\/orgs → 201 \(application\/json\): body does not match its schema: \/ must have required property 'orgId'/,
      ),
    ]);
    expect(check(createOrg({ text: JSON.stringify({ ...ORG, status: 'gone' }) }))).toEqual([
      expect.stringContaining('/status must be equal to one of the allowed values'),
    ]);
  });

  test('a JSON media type whose body does not parse fails', () => {
    expect(check(createOrg({ text: '{"orgId":' }))).toEqual([
      'POST /v1/orgs → 201: application/json body that does not parse',
    ]);
  });

  test('a wrong media type fails', () => {
    expect(check(getJob({ headers: { 'content-type': 'text/csv', etag: '"1"' }, text: 'a,b' }))).toEqual([
      expect.stringContaining('media type text/csv not declared'),
    ]);
  });

  test('a missing declared header fails', () => {
    expect(check(getJob({ headers: json }))).toEqual([
      'GET /v1/orgs/{orgId}/jobs/{jobId} → 200: declared header ETag missing',
    ]);
  });

  test('a deliberately wrong schema in the document makes a correct answer fail', () => {
    // Prepare: the document, but Organization.name declared an integer.
    const wrong = structuredClone(document) as OpenApiDocument & {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    wrong.components.schemas.Organization!.properties.name = { type: 'integer' };

    // Act
    const violations = contractViolations(wrong, [exchangeOf(createOrg({}))], {
      requireEveryOperation: false,
    });

    // Assess
    expect(violations).toEqual([expect.stringContaining('/name must be integer')]);
  });

  test('over a whole run, an operation no test reached fails', () => {
    const violations = contractViolations(document, [exchangeOf(createOrg({}))], {
      requireEveryOperation: true,
    });
    expect(violations).toContain('GET /v1/orgs: no test reached this operation');
    expect(violations).not.toContain('POST /v1/orgs: no test reached this operation');
  });
});
