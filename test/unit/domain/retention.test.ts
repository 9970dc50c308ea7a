import type { Job, RetentionRule } from '../../../shared/domain/orchestration.ts';
import { isDue, retentionBasis, retentionCutoff } from '../../../shared/domain/retention.ts';

const NOW = new Date('2026-06-30T12:00:00.000Z');
const STAGES = ['new', 'review', 'done'];
const job = (overrides: Partial<Job> = {}): Job => ({
  orgId: 'o',
  jobId: 'j',
  orchestrationId: 'c',
  ownerId: 'u',
  stage: 'new',
  fields: {},
  version: 1,
  createdAt: '2026-05-01T12:00:00.000Z',
  updatedAt: '2026-06-25T12:00:00.000Z',
  stageEnteredAt: '2026-05-01T12:00:00.000Z',
  ...overrides,
});
const rule = (from: RetentionRule['from'], days = 30): RetentionRule => ({ days, from, action: 'delete' });
const orchestration = (retention?: RetentionRule) => ({ stages: STAGES, retention });

describe('retention rules', () => {
  test('the cutoff is `days` before now', () => {
    expect(retentionCutoff({ days: 30 }, NOW)).toBe('2026-05-31T12:00:00.000Z');
  });

  test.each([
    ['created', job(), true],
    ['created', job({ createdAt: '2026-05-31T12:00:00.000Z' }), true],
    ['created', job({ createdAt: '2026-05-31T12:00:00.001Z' }), false],
    ['updated', job(), false],
    ['updated', job({ updatedAt: '2026-05-20T00:00:00.000Z' }), true],
    ['final_stage', job(), false],
    ['final_stage', job({ stage: 'done' }), true],
    ['final_stage', job({ stage: 'done', stageEnteredAt: '2026-06-29T00:00:00.000Z' }), false],
  ] as const)('from %s: due is %s for %o', (from, candidate, expected) => {
    expect(isDue(candidate, orchestration(rule(from)), NOW)).toBe(expected);
  });

  test('a job in the final stage without its entry time counts from its last update (late, never early)', () => {
    const { stageEnteredAt: _dropped, ...old } = job({ stage: 'done' });
    expect(retentionBasis(old, rule('final_stage'), 'done')).toBe(old.updatedAt);
  });

  test.each([
    ['held', { legalHold: { reason: 'Litigation', at: '2026-01-01T00:00:00.000Z', by: 'u' } }],
    ['restricted', { restriction: { reason: 'Contested', at: '2026-01-01T00:00:00.000Z', by: 'u' } }],
    ['anonymized', { anonymizedAt: '2026-01-01T00:00:00.000Z' }],
  ] as const)('a %s job is never due', (_label, overrides) => {
    expect(isDue(job(overrides), orchestration(rule('created')), NOW)).toBe(false);
  });

  test('without a rule nothing is due', () => {
    expect(isDue(job(), orchestration(), NOW)).toBe(false);
  });
});
