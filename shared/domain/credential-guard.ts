/**
 * Custos stores tokens a vendor issued, never credentials a person knows. A submitted token is
 * refused when it looks like a password, a login or a key pair rather than an issued token.
 *
 * The rule (documented in the route and in API terms, tested in test/unit/extensions-credential-guard.test.ts):
 *   1. The body is exactly `{token}`: any other key (`password`, `username`, `secret`, …) is a 400
 *      (strict schema, see shared/api/routes/extensions.ts).
 *   2. The token is an RFC 6750 bearer token: letters, digits and `- . _ ~ + /`, optionally ending
 *      in `=` padding. So no whitespace, no `user:pass` or `key:secret` pairs, no `@` (an email or
 *      `user@host`), no `Basic …` header value, none of the symbols passwords are made of.
 *   3. 20 to 4096 characters: passwords are short, issued tokens are not.
 *   4. At least 10 distinct characters: `aaaaaaaaaaaaaaaaaaaa` or `12341234123412341234` are not
 *      issued by anyone.
 *   5. It does not contain a common password word (`password`, `passwort`, `passw0rd`, `qwerty`,
 *      `letmein`, `welcome`, `changeme`, `iloveyou`, `admin`, `123456`, `abc123`), case-insensitively.
 *   6. It is not all letters, nor all letters followed by digits (`CorrectHorseBatteryStaple`,
 *      `Summer2024Holidays1`-like shapes are words a person chose; issued tokens mix freely).
 * Refusals say which rule failed and never repeat the value.
 */
export const TOKEN_MIN_LENGTH = 20;
export const TOKEN_MAX_LENGTH = 4096;
const MIN_DISTINCT_CHARACTERS = 10;

const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const COMMON_PASSWORD_WORDS = [
  'password',
  'passwort',
  'passw0rd',
  'qwerty',
  'letmein',
  'welcome',
  'changeme',
  'iloveyou',
  'admin',
  '123456',
  'abc123',
];
/** Letters only, or letters then digits: a phrase a person chose. */
const CHOSEN_PHRASE = /^[A-Za-z]+[0-9]*$/;

/** Why `token` looks like a credential rather than an issued token, or undefined when it passes. */
export function credentialProblem(token: string): string | undefined {
  if (token.length < TOKEN_MIN_LENGTH)
    return `An issued token has at least ${TOKEN_MIN_LENGTH} characters; this looks like a password`;
  if (token.length > TOKEN_MAX_LENGTH) return `A token has at most ${TOKEN_MAX_LENGTH} characters`;
  if (/\s/.test(token)) return 'A token has no whitespace; send the token alone, not a header or a phrase';
  if (token.includes(':'))
    return 'A token has no colon; user:password or key:secret pairs are credentials, not tokens';
  if (token.includes('@')) return 'A token has no @; this looks like a login';
  if (!BEARER_TOKEN.test(token))
    return 'A token uses only letters, digits and - . _ ~ + / (with = padding at the end)';
  if (new Set(token).size < MIN_DISTINCT_CHARACTERS)
    return 'The token repeats too few characters to be an issued token';
  const lower = token.toLowerCase();
  if (COMMON_PASSWORD_WORDS.some((word) => lower.includes(word)))
    return 'The token contains a common password word; this looks like a password';
  if (CHOSEN_PHRASE.test(token))
    return 'The token looks like a chosen phrase (letters, then digits), not an issued token';
  return undefined;
}
