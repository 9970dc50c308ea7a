/**
 * What IAM authorises for one AWS SDK call: the action(s), the resource ARN(s) and the condition
 * keys, derived from the client, the command and its input as the services do it. A DynamoDB
 * transaction or batch is one authorisation per item kind and table; an S3 multipart upload is
 * `s3:PutObject`; SQS batch calls are their single-message action.
 */
import type { IamRequest } from './policy-evaluator.ts';
import { localArn } from './local-arns.ts';

type Input = Readonly<Record<string, unknown>>;

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const keysOf = (value: unknown): string[] =>
  typeof value === 'object' && value !== null ? Object.keys(value) : [];
const request = (action: string, resource: string, context: Record<string, string> = {}): IamRequest => ({
  action,
  resource,
  context,
});

/** The service prefix from the client's name: `DynamoDBClient` → `dynamodb`. */
const SERVICES: Readonly<Record<string, string>> = {
  DynamoDBClient: 'dynamodb',
  KMSClient: 'kms',
  S3Client: 's3',
  SQSClient: 'sqs',
  SESClient: 'ses',
};

function dynamodb(operation: string, input: Input): IamRequest[] {
  const table = (name: unknown, index?: unknown): string =>
    localArn.table(str(name)) + (typeof index === 'string' ? `/index/${index}` : '');
  switch (operation) {
    case 'TransactWriteItems': {
      const kinds = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
      } as const;
      return (
        (input.TransactItems ?? []) as Array<Record<string, { TableName?: unknown } | undefined>>
      ).flatMap((item) =>
        Object.entries(kinds).flatMap(([kind, action]) =>
          item[kind] === undefined ? [] : [request(`dynamodb:${action}`, table(item[kind].TableName))],
        ),
      );
    }
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as Array<{ Get?: { TableName?: unknown } }>).map((item) =>
        request('dynamodb:GetItem', table(item.Get?.TableName)),
      );
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return keysOf(input.RequestItems).map((name) => request(`dynamodb:${operation}`, table(name)));
    default:
      return [request(`dynamodb:${operation}`, table(input.TableName, input.IndexName))];
  }
}

function s3(operation: string, input: Input): IamRequest[] {
  const bucket = str(input.Bucket);
  const object = (key: unknown): string => localArn.object(bucket, str(key));
  switch (operation) {
    case 'ListObjectsV2':
    case 'ListObjects':
      return [request('s3:ListBucket', localArn.bucket(bucket), { 's3:prefix': str(input.Prefix) })];
    case 'ListObjectVersions':
      return [request('s3:ListBucketVersions', localArn.bucket(bucket), { 's3:prefix': str(input.Prefix) })];
    case 'HeadObject':
      return [request('s3:GetObject', object(input.Key))];
    case 'CreateMultipartUpload':
    case 'UploadPart':
    case 'CompleteMultipartUpload':
      return [request('s3:PutObject', object(input.Key))];
    case 'DeleteObject':
      return [
        request(
          input.VersionId === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion',
          object(input.Key),
        ),
      ];
    case 'DeleteObjects':
      return (
        (input.Delete as { Objects?: Array<{ Key?: string; VersionId?: string }> } | undefined)?.Objects ?? []
      ).map((o) =>
        request(o.VersionId === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion', object(o.Key)),
      );
    default:
      return [
        request(`s3:${operation}`, input.Key === undefined ? localArn.bucket(bucket) : object(input.Key)),
      ];
  }
}

function sqs(operation: string, input: Input): IamRequest[] {
  const action = operation.replace(/Batch$/, '');
  const resource =
    input.QueueUrl !== undefined
      ? localArn.queueOfUrl(str(input.QueueUrl))
      : localArn.queue(str(input.QueueName));
  return [request(`sqs:${action}`, resource)];
}

function kms(operation: string, input: Input, keyAlias: (keyId: string) => string): IamRequest[] {
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries((input.EncryptionContext ?? {}) as Record<string, string>))
    context[`kms:EncryptionContext:${key}`] = value;
  return [request(`kms:${operation}`, keyAlias(str(input.KeyId)), context)];
}

function ses(operation: string, input: Input): IamRequest[] {
  const from = str(input.Source);
  // SES authorises the sending identity: the address if it is verified, else its domain.
  // Locally the domain is the identity, as in the deployed stage (stage-config.ts, mailIdentity).
  const identity = from.slice(from.indexOf('@') + 1);
  return [request(`ses:${operation}`, localArn.sesIdentity(identity), { 'ses:FromAddress': from })];
}

/**
 * The authorisations one call needs. `keyAlias` turns a KeyId (alias, key id or key ARN) into the
 * local ARN that stands for the key (see local-arns.ts).
 */
export function iamRequestsOf(
  clientName: string,
  commandName: string,
  input: Input,
  keyAlias: (keyId: string) => string,
): IamRequest[] {
  const service = SERVICES[clientName];
  const operation = commandName.replace(/Command$/, '');
  switch (service) {
    case 'dynamodb':
      return dynamodb(operation, input);
    case 's3':
      return s3(operation, input);
    case 'sqs':
      return sqs(operation, input);
    case 'kms':
      return kms(operation, input, keyAlias);
    case 'ses':
      return ses(operation, input);
    default:
      throw new Error(`The local IAM check does not know the client ${clientName}`);
  }
}
