/** The deadline rules of a data subject request (Art. 12(3)) and its one-time code. */
import {
  addMonths,
  dueDateOf,
  extendedDueDate,
  newVerificationCode,
} from '../../../shared/domain/subject-request.ts';

const at = (iso: string): Date => new Date(iso);

describe('months', () => {
  test.each([
    ['2026-01-15T10:00:00.000Z', 1, '2026-02-15T10:00:00.000Z'],
    ['2026-01-31T10:00:00.000Z', 1, '2026-02-28T10:00:00.000Z'],
    ['2028-01-31T10:00:00.000Z', 1, '2028-02-29T10:00:00.000Z'],
    ['2026-11-30T23:59:00.000Z', 3, '2027-02-28T23:59:00.000Z'],
  ])('%s + %i month(s) = %s', (from, months, expected) => {
    expect(addMonths(at(from), months).toISOString()).toBe(expected);
  });
});

describe('extension', () => {
  const open = {
    status: 'open' as const,
    verifiedAt: '2026-01-31T10:00:00.000Z',
    dueAt: dueDateOf(at('2026-01-31T10:00:00.000Z')).toISOString(),
  };

  test('two months from a due date that lost days to February stays within three months of verification', () => {
    expect(extendedDueDate(open, 2)).toEqual(at('2026-04-28T10:00:00.000Z'));
  });

  test('once only, and only while open', () => {
    expect(extendedDueDate({ ...open, extendedMonths: 1 }, 1)).toEqual({
      refused: expect.stringMatching(/once/),
    });
    expect(extendedDueDate({ ...open, status: 'unverified' }, 1)).toEqual({
      refused: expect.stringMatching(/open/),
    });
  });

  test('never past three months from verification', () => {
    // A due date already moved (by a bug or a manual edit) cannot be pushed beyond the statutory limit.
    expect(extendedDueDate({ ...open, dueAt: '2026-03-15T10:00:00.000Z' }, 2)).toEqual({
      refused: expect.stringMatching(/three months/),
    });
  });
});

test('codes: six digits, leading zeros kept', () => {
  const codes = Array.from({ length: 200 }, newVerificationCode);
  expect(codes.every((code) => /^\d{6}$/.test(code))).toBe(true);
});
