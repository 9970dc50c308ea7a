/**
 * The numbers the records store can hold. DynamoDB numbers range over about 1e-130..1e126 in
 * magnitude; API.md rounds that to a rule a client can apply: finite, |x| < 1e125, and 0 or
 * |x| > 1e-125. Anything else is a 400 naming the field, never a write that fails with a 500.
 */
export const MAX_MAGNITUDE = 1e125;
export const MIN_MAGNITUDE = 1e-125;
export const STORABLE_NUMBER_RULE =
  'Expected a finite number below 1e125 in magnitude, and 0 or above 1e-125';

export function isStorableNumber(value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const magnitude = Math.abs(value);
  return magnitude === 0 || (magnitude < MAX_MAGNITUDE && magnitude > MIN_MAGNITUDE);
}
