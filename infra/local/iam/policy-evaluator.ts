/**
 * IAM's evaluation of identity-based policies, for the statements CDK writes: Allow and Deny,
 * Action and Resource with `*` and `?` wildcards, and the condition operators the policies use.
 * An explicit Deny wins, then any Allow, else the implicit deny. A policy that uses an element or
 * operator not implemented here is rejected when loaded, never silently allowed.
 */

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  /** Operator → context key → values. */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** One authorisation IAM makes for a call: a call may need several (a transaction, a batch). */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request (`kms:EncryptionContext:orgId`, `s3:prefix`, `ses:FromAddress`…). */
  readonly context: Readonly<Record<string, string>>;
}

export type Decision =
  | { readonly allowed: true; readonly statement: number }
  | { readonly allowed: false; readonly reason: 'explicit-deny' | 'no-allow' };

const SUPPORTED_OPERATORS = new Set([
  'StringEquals',
  'StringNotEquals',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnLike',
  'Null',
  'Bool',
]);

function wildcard(pattern: string, flags = ''): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, flags);
}

const matchesAction = (patterns: readonly string[], action: string): boolean =>
  patterns.some((p) => wildcard(p, 'i').test(action));
const matchesResource = (patterns: readonly string[], resource: string): boolean =>
  patterns.some((p) => wildcard(p).test(resource));

function conditionHolds(
  operator: string,
  key: string,
  expected: readonly string[],
  context: IamRequest['context'],
): boolean {
  const actual = context[key];
  switch (operator) {
    case 'Null':
      // `Null: false` demands the key be present; `true` that it be absent.
      return expected.every((value) => (value === 'true') === (actual === undefined));
    case 'StringEquals':
    case 'ArnEquals':
    case 'Bool':
      return actual !== undefined && expected.includes(actual);
    case 'StringNotEquals':
      return actual === undefined || !expected.includes(actual);
    case 'StringLike':
    case 'ArnLike':
      return actual !== undefined && expected.some((p) => wildcard(p).test(actual));
    case 'StringNotLike':
      return actual === undefined || !expected.some((p) => wildcard(p).test(actual));
    default:
      throw new Error(`Unsupported IAM condition operator ${operator}`);
  }
}

function applies(statement: PolicyStatement, request: IamRequest): boolean {
  if (
    !matchesAction(statement.Action, request.action) ||
    !matchesResource(statement.Resource, request.resource)
  )
    return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => conditionHolds(operator, key, values, request.context)),
  );
}

export function evaluate(statements: readonly PolicyStatement[], request: IamRequest): Decision {
  if (statements.some((s) => s.Effect === 'Deny' && applies(s, request)))
    return { allowed: false, reason: 'explicit-deny' };
  const statement = statements.findIndex((s) => s.Effect === 'Allow' && applies(s, request));
  return statement >= 0 ? { allowed: true, statement } : { allowed: false, reason: 'no-allow' };
}

const asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [String(value)]);

/**
 * Normalises one statement of a resolved template (strings or lists) and rejects what this
 * evaluator does not implement (NotAction, NotResource, Principal, unknown operators).
 */
export function parseStatement(raw: Record<string, unknown>): PolicyStatement {
  for (const element of Object.keys(raw)) {
    if (!['Sid', 'Effect', 'Action', 'Resource', 'Condition'].includes(element))
      throw new Error(`Unsupported IAM policy element ${element}`);
  }
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny')
    throw new Error(`IAM statement effect must be Allow or Deny, not ${String(raw.Effect)}`);
  const condition: Record<string, Record<string, string[]>> = {};
  for (const [operator, keys] of Object.entries(
    (raw.Condition ?? {}) as Record<string, Record<string, unknown>>,
  )) {
    if (!SUPPORTED_OPERATORS.has(operator)) throw new Error(`Unsupported IAM condition operator ${operator}`);
    condition[operator] = Object.fromEntries(
      Object.entries(keys).map(([key, values]) => [key, asList(values)]),
    );
  }
  return {
    ...(typeof raw.Sid === 'string' ? { Sid: raw.Sid } : {}),
    Effect: raw.Effect,
    Action: asList(raw.Action),
    Resource: asList(raw.Resource),
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}
