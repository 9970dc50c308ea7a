import { JobOrchestrations } from '../../shared/use-cases/job-orchestrations.ts';

test('remembers which orchestration a job of an organization belongs to, and nothing for another organization', () => {
  const known = new JobOrchestrations();
  known.remember('org-a', 'job-1', 'orch-1');
  expect(known.get('org-a', 'job-1')).toBe('orch-1');
  expect(known.get('org-b', 'job-1')).toBeUndefined();
});

test('keeps at most its capacity, forgetting the oldest first', () => {
  const known = new JobOrchestrations(2);
  known.remember('org', 'job-1', 'orch-1');
  known.remember('org', 'job-2', 'orch-2');
  known.remember('org', 'job-3', 'orch-3');
  expect(known.get('org', 'job-1')).toBeUndefined();
  expect(known.get('org', 'job-2')).toBe('orch-2');
  expect(known.get('org', 'job-3')).toBe('orch-3');
});
