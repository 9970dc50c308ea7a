/**
 * Generators of hostile requests for any route of the route table: bodies, ids, queries and
 * headers that are wrong in every way a client (or an attacker) can make them wrong. Words the
 * route's own schemas use (body and query keys) are mixed in, so many requests get past the
 * first check and reach the deeper ones.
 */
import fc from 'fast-check';
import type { $ZodType } from 'zod/v4/core';
import type { RouteDefinition } from '../../shared/api/route.ts';
import { percentEncode, templateParams } from '../support/api-client.ts';

const ULID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Strings that broke servers before: control and format characters, lone surrogates, traversal, injection. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  'x\uD83D',
  '\uDE00y',
  '\u202E',
  '\u202Egnp.exe\u202C',
  '\u200B\u200D\uFEFF',
  '\u{1F4A9}\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}',
  'e\u0301\u0301\u0301\u0301',
  '\r\n\r\nHTTP/1.1 200 OK',
  '../../../../etc/passwd',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '..\\..\\..\\windows\\win.ini',
  '%00',
  '/',
  '.',
  '..',
  "' OR '1'='1",
  '"; DROP TABLE records; --',
  '$gt',
  '{"$gt":""}',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '=HYPERLINK("http://x")',
  'ORG#',
  'ORG#01ARZ3NDEKTSV4RRFFQ69G5FAV',
  'JOB#x',
  '#',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x1F',
  '99999999999999999999999999',
  '__proto__',
  'constructor',
  'prototype',
  'A'.repeat(300),
  'B'.repeat(20_000),
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 3 }), loneSurrogate), { maxLength: 8 })
      .map((parts) => parts.join('')),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 70_000 }).map((n) => 'Z'.repeat(n)) },
);

/** A syntactically valid id (ULID alphabet, 26 characters) that no one has. */
export const unknownId: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...ULID_ALPHABET), { minLength: 26, maxLength: 26 })
  .map((chars) => chars.join(''));

/** Ids that are not the right one: unknown, malformed, traversal, another kind's id, a near miss of a real one. */
export function hostileId(realIds: readonly string[]): fc.Arbitrary<string> {
  const real = realIds.length > 0 ? fc.constantFrom(...realIds) : unknownId;
  return fc.oneof(
    hostileString,
    unknownId,
    real.map((id) => id.toLowerCase()),
    real.map((id) => `${id}\n`),
    real.map((id) => `${id}/../${id}`),
    real.map((id) => `${id}%00`),
    real.map((id) => id.slice(0, -1)),
    real.map((id) => ` ${id}`),
  );
}

/** Keys that try to escape JSON's data model or a query language. */
export const POISON_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '$gt',
  '$ne',
  '$where',
  '$regex',
  '$or',
  'pk',
  'sk',
  'ownerId',
  'orgId',
  'version',
  'restricted',
  'role',
  'isAdmin',
];

const NOSQL_OPERATORS: readonly unknown[] = [
  { $gt: '' },
  { $ne: null },
  { $where: 'sleep(1000)' },
  { $regex: '.*' },
  { $in: [] },
  [{ $or: [{}] }],
];

/** Every object key a schema declares, however deep (objects, arrays, records, unions, wrappers). */
export function schemaWords(schema: $ZodType | undefined, into = new Set<string>(), depth = 0): Set<string> {
  if (schema === undefined || depth > 6) return into;
  const def = (schema as unknown as { def?: Record<string, unknown> }).def;
  if (def === undefined) return into;
  const shape = def.shape as Record<string, $ZodType> | undefined;
  if (shape !== undefined) {
    for (const [key, child] of Object.entries(shape)) {
      into.add(key);
      schemaWords(child, into, depth + 1);
    }
  }
  for (const key of ['element', 'valueType', 'innerType', 'in', 'out', 'left', 'right', 'schema']) {
    const child = def[key] as $ZodType | undefined;
    if (child !== undefined && typeof child === 'object') schemaWords(child, into, depth + 1);
  }
  for (const option of (def.options as $ZodType[] | undefined) ?? []) schemaWords(option, into, depth + 1);
  return into;
}

/** JSON values built from hostile leaves, with the route's own words as keys half the time. */
export function hostileJson(words: readonly string[]): fc.Arbitrary<unknown> {
  const keys = fc.oneof(
    { weight: 3, arbitrary: words.length > 0 ? fc.constantFrom(...words) : hostileString },
    { weight: 1, arbitrary: fc.constantFrom(...POISON_KEYS.filter((k) => k !== '__proto__')) },
    { weight: 1, arbitrary: hostileString },
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      hostileString,
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -0, 1e308, 2 ** 53),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom(...NOSQL_OPERATORS),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(keys, tie('value'), { maxKeys: 5 }),
    ),
  }));
  return value;
}

const deepArray = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
/** Just over the 1 MiB body limit. */
const OVERSIZED = `{"name":"${'x'.repeat(1024 * 1024 + 16)}"}`;

/** A JSON object text with a prototype-pollution key spliced in (object literals cannot carry `__proto__` as data). */
function withPoisonKey(objectJson: string, key: string, payload: string): string {
  const rest = objectJson.trim().replace(/^\{/, '');
  return `{"${key}":${payload}${rest === '}' ? '}' : `,${rest}`}`;
}

/** Raw body texts: hostile JSON, pollution, nesting, size, malformed syntax. */
export function hostileBodyText(words: readonly string[]): fc.Arbitrary<string> {
  const json = hostileJson(words);
  const object = fc
    .dictionary(words.length > 0 ? fc.constantFrom(...words) : hostileString, json, { maxKeys: 4 })
    .map((o) => JSON.stringify(o));
  return fc.oneof(
    { weight: 6, arbitrary: object },
    { weight: 3, arbitrary: json.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          object,
          fc.constantFrom('__proto__', 'constructor', 'prototype'),
          fc.constantFrom(
            '{"polluted":"yes"}',
            '{"prototype":{"polluted":"yes"}}',
            '{"isAdmin":true}',
            'null',
            '"x"',
          ),
        )
        .map(([base, key, payload]) => withPoisonKey(base, key, payload)),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(33, 200, 5_000, 100_000)
        .chain((d) => fc.constantFrom(deepArray(d), deepObject(d))),
    },
    { weight: 1, arbitrary: fc.constant(OVERSIZED) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{',
        '{"a":',
        '[1,2',
        '\uFEFF{}',
        'NaN',
        "{'a':1}",
        '{"a":1,}',
        '',
        'null',
        'true',
        '"\\uD800"',
        '{"a":"\\u0000"}',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  );
}

export const CONTENT_TYPES: readonly (string | undefined)[] = [
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  undefined,
];

/** Cursors no server issued: tampered genuine ones, someone else's, random bytes, encoded keys. */
export function forgedCursor(genuine: readonly string[]): fc.Arbitrary<string> {
  const real = genuine.length > 0 ? fc.constantFrom(...genuine) : fc.constant('AAAA');
  return fc.oneof(
    fc.tuple(real, fc.nat(), fc.constantFrom('A', 'B', '_', '-', '0')).map(([c, i, ch]) => {
      const at = i % c.length;
      const flipped = c[at] === ch ? (ch === 'A' ? 'B' : 'A') : ch;
      return c.slice(0, at) + flipped + c.slice(at + 1);
    }),
    real.map((c) => c.slice(0, Math.max(1, c.length - 4))),
    real.map((c) => `${c}AA`),
    real,
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
    fc.constantFrom(
      Buffer.from(
        JSON.stringify({ pk: 'ORG#01ARZ3NDEKTSV4RRFFQ69G5FAV', sk: 'JOB#01ARZ3NDEKTSV4RRFFQ69G5FAV' }),
      ).toString('base64url'),
      Buffer.from('{"$gt":""}').toString('base64url'),
      'x'.repeat(3000),
      '%00',
      '../../',
    ),
    hostileString,
  );
}

export interface HostileRequest {
  readonly attack: 'body' | 'query' | 'params' | 'noise';
  readonly params: Record<string, string>;
  readonly rawQueryString: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface RouteWorld {
  /** Path parameter name → a value that exists for the seeded organization. */
  readonly ids: Readonly<Record<string, string>>;
  /** Every real id of the world, to put one where another belongs. */
  readonly allIds: readonly string[];
  readonly cursors: readonly string[];
}

function queryString(entries: readonly (readonly [string, string])[]): string {
  return entries.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
}

/**
 * Requests that are wrong in at least one way the route checks: a body route gets a hostile body,
 * a query route a hostile query, any other route at least one hostile id. Routes with none of those
 * (no id, no body, no query) get noise only — junk query parameters, headers and body.
 */
export function hostileRequest(route: RouteDefinition, world: RouteWorld): fc.Arbitrary<HostileRequest> {
  const names = templateParams(route);
  const bodyWords = [...schemaWords(route.body)];
  const queryWords = [...schemaWords(route.query), 'limit', 'cursor', 'access_token', 'id_token'];
  const attacks: HostileRequest['attack'][] = [];
  if (route.body !== undefined) attacks.push('body');
  if (route.query !== undefined) attacks.push('query');
  if (names.length > 0) attacks.push('params');
  if (attacks.length === 0) attacks.push('noise');

  const realParams = (): Record<string, string> =>
    Object.fromEntries(names.map((n) => [n, world.ids[n] ?? '']));
  const paramsArb = (attack: HostileRequest['attack']): fc.Arbitrary<Record<string, string>> => {
    // Without a real value for a name (a route added since this file), only hostile ids exist.
    const hostileFor = (name: string) =>
      hostileId([...(world.ids[name] ? [world.ids[name]!] : []), ...world.allIds]);
    if (attack !== 'params') {
      return fc.record(
        Object.fromEntries(
          names.map((n) => [n, world.ids[n] === undefined ? hostileFor(n) : fc.constant(world.ids[n]!)]),
        ),
      );
    }
    return fc
      .subarray(names, { minLength: 1 })
      .chain((bad) =>
        fc.record(
          Object.fromEntries(
            names.map((n) => [
              n,
              bad.includes(n) || world.ids[n] === undefined ? hostileFor(n) : fc.constant(realParams()[n]!),
            ]),
          ),
        ),
      );
  };
  const queryValue = fc.oneof(
    hostileString,
    forgedCursor(world.cursors),
    fc.constantFrom('0', '-5', '101', '1.5', '1e3', 'csv', 'xlsx', 'jsonl', '2020-13-45', 'true'),
  );
  const hostileQuery = fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...queryWords), fc.constantFrom(...POISON_KEYS), hostileString),
        queryValue,
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map(queryString);
  const plainQuery = fc.constantFrom('', 'limit=2');
  const junkHeaders = fc.record(
    {
      'if-match': fc.oneof(
        hostileString,
        fc.constantFrom('"1"', '*', 'W/"1"', '"-1"', '"99999999999999999999"'),
      ),
      'x-forwarded-for': hostileString,
      'content-length': fc.constantFrom('0', '-1', '99999999999'),
      'x-http-method-override': fc.constantFrom('DELETE', 'PUT', 'GET'),
      origin: fc.constantFrom('https://evil.example', 'null'),
    },
    { requiredKeys: [] },
  );
  const bodyArb = hostileBodyText(bodyWords);

  return fc.constantFrom(...attacks).chain((attack) =>
    fc.record({
      attack: fc.constant(attack),
      params: paramsArb(attack),
      rawQueryString: attack === 'query' || attack === 'noise' ? hostileQuery : plainQuery,
      headers: fc.tuple(junkHeaders, fc.constantFrom(...CONTENT_TYPES)).map(([h, ct]) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(h))
          if (v !== undefined && /^[\t\x20-\x7e]*$/.test(v)) headers[k] = v;
        if (ct !== undefined) headers['content-type'] = ct;
        return headers;
      }),
      body:
        attack === 'body' || attack === 'noise' ? bodyArb : fc.option(bodyArb, { nil: undefined, freq: 3 }),
    }),
  );
}
