/** The rule that tells an issued vendor token from a password or login submitted in its place. */
import { tokenBody } from '../../shared/api/routes/extensions.ts';
import { credentialProblem } from '../../shared/domain/credential-guard.ts';

describe('the token body is exactly {token}', () => {
  test.each([
    ['password instead of token', { password: 'x9Qw-eR7tY_uI3oP5aS2dF' }],
    ['username and password', { username: 'alice', password: 'x9Qw-eR7tY_uI3oP5aS2dF' }],
    ['token with a password beside it', { token: 'x9Qw-eR7tY_uI3oP5aS2dF', password: 'hunter2' }],
    ['token with a secret beside it', { token: 'x9Qw-eR7tY_uI3oP5aS2dF', secret: 'x' }],
    ['no token', {}],
  ])('%s → refused by the schema', (_name, body) => {
    expect(tokenBody.safeParse(body).success).toBe(false);
  });
});

describe('credentialProblem', () => {
  test.each([
    ['too short', 'sk_3fA9b'],
    ['a password', 'hunter2'],
    ['whitespace inside', 'xoxb 1234 5678 abcd efgh ijkl'],
    ['a header value', 'Bearer x9Qw-eR7tY_uI3oP5aS2dFgH'],
    ['user:pass', 'alice.smith:x9Qw-eR7tY_uI3oP5aS2'],
    ['key:secret', 'AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG'],
    ['an email login', 'alice.smith@acme-crm.example'],
    ['password symbols', 'Tr0ub4dor&3xyz!Horse#Battery'],
    ['too few distinct characters', 'abababababababababababab'],
    ['a repeated number', '12341234123412341234'],
    ['a common password word', 'MyPassword_x9Qw-eR7tY_uI3'],
    ['qwerty inside', 'qwertyuiop-9f8e7d6c5b4a'],
    ['admin inside', 'xY7-admin-Zk29Qp4Lm8Rt'],
    ['letters only', 'CorrectHorseBatteryStaple'],
    ['letters then digits', 'SummerHolidaysInSpain2024'],
    ['too long', 'a1B2c3D4e5'.repeat(410)],
    ['a newline', 'x9Qw-eR7tY_uI3oP5aS2dF\n'],
  ])('%s → refused', (_name, token) => {
    expect(credentialProblem(token)).toEqual(expect.any(String));
  });

  test.each([
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2ZW5kb3ItMTIzIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk'],
    ['a prefixed API key', 'sk_live_51HxQ2eGq8ZrT4kLmN9pVbW3yC'],
    ['hex', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ['base64 with padding', 'q83vEjRWeJCrze8SNFZ4kA+/Yw=='],
    ['a GitHub-style token', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'],
  ])('%s → accepted', (_name, token) => {
    expect(credentialProblem(token)).toBeUndefined();
  });

  test('a refusal never repeats the value', () => {
    const token = 'alice.smith:x9Qw-eR7tY_uI3oP5aS2';
    expect(credentialProblem(token)).not.toContain('x9Qw');
  });
});
