import { evaluate, parseStatement, type IamRequest } from '../../../infra/local/iam/policy-evaluator.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/custos-records';
const request = (action: string, resource: string, context: Record<string, string> = {}): IamRequest => ({
  action,
  resource,
  context,
});

describe('the local evaluation of identity policies', () => {
  const statements = [
    parseStatement({ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: TABLE }),
    parseStatement({ Effect: 'Allow', Action: 'dynamodb:Query', Resource: [`${TABLE}/index/byUser`] }),
    parseStatement({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::custos-files/orgs/*' }),
    parseStatement({
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::custos-files',
      Condition: { StringLike: { 's3:prefix': ['orgs/*'] } },
    }),
    parseStatement({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: 'arn:aws:kms:us-east-1:000000000000:alias/custos-fields',
      Condition: { Null: { 'kms:EncryptionContext:orgId': 'false' } },
    }),
  ];

  test.each([
    ['an action and resource of a statement', request('dynamodb:GetItem', TABLE), true],
    ['actions case-insensitively, as IAM does', request('DynamoDB:getitem', TABLE), true],
    ['an action on another table', request('dynamodb:GetItem', `${TABLE}-other`), false],
    ['an action the statement does not list', request('dynamodb:PutItem', TABLE), false],
    ['a Query on a granted index', request('dynamodb:Query', `${TABLE}/index/byUser`), true],
    [
      'a Query on an index not granted (the table grant does not cover its indexes)',
      request('dynamodb:Query', `${TABLE}/index/bySubject`),
      false,
    ],
    [
      'an object under the granted prefix',
      request('s3:GetObject', 'arn:aws:s3:::custos-files/orgs/o/f.zip'),
      true,
    ],
    [
      'an object outside the granted prefix',
      request('s3:GetObject', 'arn:aws:s3:::custos-files/other/f.zip'),
      false,
    ],
    [
      'a listing within the prefix condition',
      request('s3:ListBucket', 'arn:aws:s3:::custos-files', { 's3:prefix': 'orgs/o/' }),
      true,
    ],
    [
      'a listing outside the prefix condition',
      request('s3:ListBucket', 'arn:aws:s3:::custos-files', { 's3:prefix': '' }),
      false,
    ],
    [
      'a Decrypt bound to an organization',
      request('kms:Decrypt', 'arn:aws:kms:us-east-1:000000000000:alias/custos-fields', {
        'kms:EncryptionContext:orgId': 'o',
      }),
      true,
    ],
    [
      'a Decrypt with no encryption context (Null: false demands the key)',
      request('kms:Decrypt', 'arn:aws:kms:us-east-1:000000000000:alias/custos-fields'),
      false,
    ],
  ])('%s', (_, call, allowed) => {
    expect(evaluate(statements, call).allowed).toBe(allowed);
  });

  test('an explicit Deny wins over any Allow', () => {
    const withDeny = [...statements, parseStatement({ Effect: 'Deny', Action: 'dynamodb:*', Resource: '*' })];
    expect(evaluate(withDeny, request('dynamodb:GetItem', TABLE))).toEqual({
      allowed: false,
      reason: 'explicit-deny',
    });
  });

  test.each([
    ['NotAction', { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }],
    ['Principal', { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }],
    [
      'an unknown condition operator',
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: '*',
        Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      },
    ],
  ])('a policy using %s is refused when loaded, never silently allowed', (_, raw) => {
    expect(() => parseStatement(raw)).toThrow(/Unsupported/);
  });
});
