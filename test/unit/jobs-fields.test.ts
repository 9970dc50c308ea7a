/** Field values of jobs: type validation, what audit `changes` may carry. No network. */
import { ValidationError } from '../../shared/domain/errors.ts';
import type { Orchestration } from '../../shared/domain/orchestration.ts';
import { changesOf, validateFieldValues } from '../../shared/use-cases/job-fields.ts';
import { breakingChange } from '../../shared/use-cases/orchestrations.ts';

const at = '2026-11-29T00:00:00.000Z';
const orchestration: Orchestration = {
  orgId: 'ORG',
  orchestrationId: 'O1',
  name: 'Claims',
  stages: ['new', 'done'],
  fields: [
    { id: 'title', label: 'Title', type: 'text', personal: false, encrypted: false, subject: false },
    { id: 'email', label: 'Email', type: 'email', personal: true, encrypted: true, subject: true },
    { id: 'phone', label: 'Phone', type: 'phone', personal: true, encrypted: false, subject: false },
    { id: 'amount', label: 'Amount', type: 'number', personal: false, encrypted: false, subject: false },
    { id: 'due', label: 'Due', type: 'date', personal: false, encrypted: false, subject: false },
  ],
  createdAt: at,
  updatedAt: at,
  createdBy: 'u',
};

function issuesOf(
  values: Record<string, string | number | null>,
): readonly { path: string; message: string }[] {
  try {
    validateFieldValues(orchestration, values, false);
  } catch (error) {
    if (error instanceof ValidationError) return error.errors;
    throw error;
  }
  return [];
}

test.each<[string, Record<string, string | number>, Record<string, string | number>]>([
  ['text', { title: 'Broken window' }, { title: 'Broken window' }],
  ['email trimmed', { email: ' ada@example.test ' }, { email: 'ada@example.test' }],
  ['phone normalised to E.164', { phone: '+49 151 1234-5678' }, { phone: '+4915112345678' }],
  ['number', { amount: 12.5 }, { amount: 12.5 }],
  ['zero', { amount: 0 }, { amount: 0 }],
  ['numbers at the edges of the store', { amount: -9.99e124 }, { amount: -9.99e124 }],
  ['tiny numbers the store holds', { amount: 1.01e-125 }, { amount: 1.01e-125 }],
  ['date', { due: '2024-02-29' }, { due: '2024-02-29' }],
])('accepts %s', (_name, input, stored) => {
  expect(validateFieldValues(orchestration, input, false)).toEqual(stored);
});

test.each<[string, Record<string, string | number | null>, string]>([
  ['unknown field', { nope: 'x' }, 'body.fields.nope'],
  ['text too long', { title: 'x'.repeat(10_001) }, 'body.fields.title'],
  ['number as string', { amount: '12' }, 'body.fields.amount'],
  ['number too large for the store', { amount: 1e308 }, 'body.fields.amount'],
  ['negative number too large', { amount: -1e125 }, 'body.fields.amount'],
  ['number too small for the store', { amount: 1e-200 }, 'body.fields.amount'],
  ['infinity', { amount: Infinity }, 'body.fields.amount'],
  ['NaN', { amount: NaN }, 'body.fields.amount'],
  ['not an email', { email: 'ada@' }, 'body.fields.email'],
  ['phone without country code', { phone: '0151 12345678' }, 'body.fields.phone'],
  ['impossible date', { due: '2023-02-29' }, 'body.fields.due'],
  ['date in another format', { due: '29.02.2024' }, 'body.fields.due'],
  ['null where a value is required', { title: null }, 'body.fields.title'],
])('refuses %s, naming the field', (_name, input, path) => {
  expect(issuesOf(input).map((i) => i.path)).toEqual([path]);
});

test('audit changes carry values only of non-personal, non-encrypted fields', () => {
  const changes = changesOf(
    orchestration,
    { title: 'Old', amount: 1 },
    { title: 'New', email: 'ada@example.test', phone: '+4915112345678', amount: 1 },
  );
  expect(changes.fields).toEqual(['title', 'email', 'phone']);
  expect(changes.values).toEqual({ title: 'New' });
  expect(JSON.stringify(changes)).not.toMatch(/ada@|4915/);
});

test.each<[string, Partial<Orchestration>, string | undefined]>([
  [
    'a new field',
    {
      fields: [
        ...orchestration.fields,
        { id: 'extra', label: 'Extra', type: 'text', personal: false, encrypted: false, subject: false },
      ],
    },
    undefined,
  ],
  [
    'a relabelled field',
    { fields: orchestration.fields.map((f) => ({ ...f, label: `${f.label}!` })) },
    undefined,
  ],
  ['a removed field', { fields: orchestration.fields.slice(1) }, 'field title is removed'],
  [
    'a type change',
    { fields: orchestration.fields.map((f) => (f.id === 'amount' ? { ...f, type: 'text' as const } : f)) },
    'field amount changes its type',
  ],
  [
    'an encryption change',
    { fields: orchestration.fields.map((f) => (f.id === 'phone' ? { ...f, encrypted: true } : f)) },
    'field phone changes its encrypted flag',
  ],
  ['a removed stage', { stages: ['new'] }, 'stage done is removed'],
  ['a new stage', { stages: ['new', 'review', 'done'] }, undefined],
])('with jobs, %s is breaking: %s', (_name, change, expected) => {
  expect(
    breakingChange(orchestration, {
      fields: change.fields ?? orchestration.fields,
      stages: change.stages ?? orchestration.stages,
    }),
  ).toBe(expected);
});
