import { randomBytes } from 'node:crypto';
import { blindIndex, blindIndexKey, normaliseEmail } from '../../../shared/domain/blind-index.ts';

const dataKey = randomBytes(32);

describe('blind index', () => {
  test.each([
    ['  Alice@Example.COM ', 'alice@example.com'],
    ['\tBOB@example.org\n', 'bob@example.org'],
    ['Rene\u0301@example.fr', 'ren\u00e9@example.fr'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normaliseEmail(input)).toBe(expected);
  });

  test('spellings of one address share an index; other addresses do not', () => {
    // Prepare
    const key = blindIndexKey(dataKey, 'org-a');

    // Act
    const index = blindIndex(key, 'Ren\u00e9@Example.fr');

    // Assess
    expect(blindIndex(key, ' rene\u0301@example.FR ')).toBe(index);
    expect(blindIndex(key, 'rene@example.fr')).not.toBe(index);
    expect(index).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(index).not.toContain('example');
  });

  test('differs between organizations, even under the same data key', () => {
    const email = 'alice@example.com';

    const a = blindIndex(blindIndexKey(dataKey, 'org-a'), email);
    const b = blindIndex(blindIndexKey(dataKey, 'org-b'), email);
    const c = blindIndex(blindIndexKey(randomBytes(32), 'org-a'), email);

    expect(new Set([a, b, c]).size).toBe(3);
  });

  test('is deterministic for one organization and key', () => {
    const fresh = Buffer.from(dataKey);

    expect(blindIndex(blindIndexKey(fresh, 'org-a'), 'a@b.c')).toBe(
      blindIndex(blindIndexKey(dataKey, 'org-a'), 'a@b.c'),
    );
  });
});
