import type { DecisionInputs } from '../../shared/ports/access-reads.ts';
import { RememberedInputs } from '../../shared/use-cases/remembered-inputs.ts';

const inputs = (orgId: string): DecisionInputs =>
  ({ org: { orgId }, membership: { orgId, userId: 'u', role: 'member' } }) as unknown as DecisionInputs;
const key = (userId: string, orchestrationId = 'orch') => ({ orgId: 'org', userId, orchestrationId });

test('keeps the inputs per organization, caller and orchestration, and forgets them on demand', () => {
  const remembered = new RememberedInputs();
  remembered.remember(key('ann'), inputs('org'));
  expect(remembered.get(key('ann'))).toEqual(inputs('org'));
  expect(remembered.get(key('bob'))).toBeUndefined();
  expect(remembered.get(key('ann', 'other'))).toBeUndefined();
  remembered.forget(key('ann'));
  expect(remembered.get(key('ann'))).toBeUndefined();
});

test('keeps at most its capacity, forgetting the least recently used first', () => {
  const remembered = new RememberedInputs(2);
  remembered.remember(key('ann'), inputs('a'));
  remembered.remember(key('bob'), inputs('b'));
  remembered.get(key('ann'));
  remembered.remember(key('cy'), inputs('c'));
  expect(remembered.get(key('bob'))).toBeUndefined();
  expect(remembered.get(key('ann'))).toEqual(inputs('a'));
  expect(remembered.get(key('cy'))).toEqual(inputs('c'));
});
