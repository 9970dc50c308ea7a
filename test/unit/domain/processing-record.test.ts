import { processingRecord } from '../../../shared/domain/processing-record.ts';
import type { Orchestration } from '../../../shared/domain/orchestration.ts';

const orchestration = (over: Partial<Orchestration>): Orchestration => ({
  orgId: 'o',
  orchestrationId: 'A',
  name: 'Repairs',
  stages: ['new'],
  fields: [
    { id: 'email', label: 'Email', type: 'email', personal: true, encrypted: true, subject: true },
    { id: 'device', label: 'Device', type: 'text', personal: false, encrypted: false, subject: false },
    { id: 'secret', label: 'Margin', type: 'number', personal: false, encrypted: true, subject: false },
  ],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'u',
  ...over,
});

const sources = (orchestrations: Orchestration[]) => ({
  org: { orgId: 'o', name: 'Acme' },
  orchestrations,
  consented: [],
  roleNames: new Map<string, string>(),
  generatedAt: '2026-12-01T00:00:00.000Z',
});

test('an orchestration that states nothing reads "not stated", "none", never an error', () => {
  // Act
  const [activity] = processingRecord(sources([orchestration({})])).activities;
  // Assess
  expect(activity).toMatchObject({
    purpose: 'not stated',
    legalBasis: 'not stated',
    subjectCategory: 'not stated',
    retention: 'none',
    recipients: [],
    security: { accessLimits: 'none' },
  });
});

test('personal and encrypted fields are listed, plain business fields are not', () => {
  const [activity] = processingRecord(sources([orchestration({})])).activities;
  expect(activity?.personalData.map((f) => f.id)).toEqual(['email', 'secret']);
  expect(activity?.security.encryptedFields).toEqual(['email', 'secret']);
});

test('a consent for another orchestration makes no recipient here; activities come ordered by name', () => {
  // Prepare
  const consent = {
    version: 2,
    fields: [{ orchestrationId: 'B', fieldId: 'email', personal: true }],
    purpose: 'Mailings',
    grantedBy: 'u',
    grantedAt: '2026-02-01T00:00:00.000Z',
  };
  // Act
  const record = processingRecord({
    ...sources([orchestration({ orchestrationId: 'B', name: 'Sales' }), orchestration({})]),
    consented: [{ extension: { id: 'x', name: 'X', vendor: 'X Ltd' }, consent }],
  });
  // Assess
  expect(record.activities.map((a) => [a.name, a.recipients.map((r) => r.extensionId)])).toEqual([
    ['Repairs', []],
    ['Sales', ['x']],
  ]);
});
