import { hashPassword, verifyPassword } from '../../../shared/domain/password-hash.ts';

describe('password hash', () => {
  test('verifies the right password and refuses a wrong one', async () => {
    // Act
    const encoded = await hashPassword('correct horse battery staple');

    // Assess
    expect(encoded).toMatch(/^scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(encoded).not.toContain('horse');
    await expect(verifyPassword('correct horse battery staple', encoded)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery stapl', encoded)).resolves.toBe(false);
  });

  test('salts every hash', async () => {
    const [first, second] = await Promise.all([
      hashPassword('same password 1'),
      hashPassword('same password 1'),
    ]);
    expect(first).not.toBe(second);
  });

  test('keeps verifying hashes made with another cost, read from the encoded string', async () => {
    const cheaper = await hashPassword('rotation-proof password', 12);
    expect(cheaper).toContain('ln=12');
    await expect(verifyPassword('rotation-proof password', cheaper)).resolves.toBe(true);
  });

  test.each([
    ['garbage', 'not a hash'],
    [
      'an unbounded cost',
      'scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ],
    [
      'another scheme',
      'bcrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ],
  ])('refuses %s without throwing', async (_, encoded) => {
    await expect(verifyPassword('whatever password', encoded)).resolves.toBe(false);
  });
});
