import { ValidationError } from '../../../shared/domain/errors.ts';
import { disclosureOf, incidentWindow } from '../../../shared/domain/incident-scope.ts';
import type { AuditEvent } from '../../../shared/ports/audit.ts';

const event = (
  action: string,
  resource: { type: string; id: string },
  detail?: AuditEvent['detail'],
  outcome: AuditEvent['outcome'] = 'success',
): AuditEvent => ({
  eventId: 'e',
  orgId: 'o',
  seq: 1,
  at: '2026-12-01T10:00:00.000Z',
  actor: 'mallory',
  action,
  resource,
  outcome,
  requestId: 'r',
  prevHash: 'p',
  hash: 'h',
  ...(detail === undefined ? {} : { detail }),
});

describe('what an audit event disclosed', () => {
  test.each([
    [
      'one job read',
      event('job.read', { type: 'job', id: 'J1' }, { decryptedFields: 'email' }),
      { target: 'jobs', kind: 'read', jobIds: ['J1'] },
    ],
    [
      'a list read names its jobs',
      event('job.read', { type: 'orchestration', id: 'O1' }, { jobIds: 'J1,J2' }),
      { target: 'jobs', kind: 'read', jobIds: ['J1', 'J2'] },
    ],
    [
      'one job exported',
      event('job.export', { type: 'job', id: 'J3' }),
      { target: 'jobs', kind: 'export', jobIds: ['J3'] },
    ],
    [
      'one job shared',
      event('job.share', { type: 'job', id: 'J4' }),
      { target: 'jobs', kind: 'share', jobIds: ['J4'] },
    ],
    [
      'an export handed out',
      event('export.download', { type: 'export', id: 'X1' }, { rowsWritten: 3 }),
      { target: 'export', kind: 'download', exportId: 'X1' },
    ],
    [
      'a backup handed out',
      event('backup.download', { type: 'backup', id: 'B1' }),
      { target: 'organization', kind: 'download' },
    ],
    [
      'an access report',
      event('subject.access', { type: 'subject', id: 'blind' }),
      { target: 'subject', kind: 'access', subjectIndex: 'blind' },
    ],
  ])('%s', (_name, audited, expected) => {
    expect(disclosureOf(audited)).toEqual(expected);
  });

  test.each([
    [
      'a denied download',
      event('backup.download', { type: 'backup', id: 'B1' }, { reason: 'wrong-password' }, 'denied'),
    ],
    ['an export requested but not handed out', event('export.create', { type: 'export', id: 'X1' })],
    ['a change', event('job.update', { type: 'job', id: 'J1' })],
    ['a list read without job ids', event('job.read', { type: 'orchestration', id: 'O1' }, {})],
  ])('%s discloses nothing', (_name, audited) => {
    expect(disclosureOf(audited)).toBeUndefined();
  });
});

describe('the window of an incident', () => {
  test('is normalised to stored times', () => {
    expect(incidentWindow('2026-12-01T10:00:00+01:00', '2026-12-02T09:00:00Z')).toEqual({
      from: '2026-12-01T09:00:00.000Z',
      to: '2026-12-02T09:00:00.000Z',
    });
  });

  test('may span exactly 90 days', () => {
    expect(() => incidentWindow('2026-01-01T00:00:00Z', '2026-04-01T00:00:00Z')).not.toThrow();
  });

  test.each([
    ['ending before it starts', '2026-12-02T00:00:00Z', '2026-12-01T00:00:00Z'],
    ['of no length', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z'],
    ['over 90 days', '2026-01-01T00:00:00Z', '2026-04-01T00:00:00.001Z'],
    ['not times', 'yesterday', '2026-12-01T00:00:00Z'],
  ])('%s is a 400', (_name, from, to) => {
    expect(() => incidentWindow(from, to)).toThrow(ValidationError);
  });
});
