/**
 * The ARNs of the local resources, as IAM would name their cloud counterparts. Both sides of the
 * local IAM check use them: the synthesized policies (resolved to local names) and the calls the
 * functions make. KMS keys are named by their alias: the local key ids are random per data
 * directory, the aliases are what the product and the policies know.
 */
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../lambda-events.ts';

const prefix = (service: string): string => `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}`;

export const localArn = {
  table: (name: string): string => `${prefix('dynamodb')}:table/${name}`,
  queue: (name: string): string => `${prefix('sqs')}:${name}`,
  /** The queue a QueueUrl names: its last path segment, whatever the endpoint. */
  queueOfUrl: (url: string): string =>
    `${prefix('sqs')}:${new URL(url).pathname.split('/').filter(Boolean).at(-1) ?? ''}`,
  bucket: (name: string): string => `arn:aws:s3:::${name}`,
  object: (bucket: string, key: string): string => `arn:aws:s3:::${bucket}/${key}`,
  /** `alias/custos-fields` → the ARN that stands for the key behind it. */
  keyByAlias: (alias: string): string => `${prefix('kms')}:${alias}`,
  sesIdentity: (identity: string): string => `${prefix('ses')}:identity/${identity}`,
};

/** Stands for a reference to a cloud resource with no local counterpart (a log group, the user pool…). */
export const UNRESOLVED = 'unresolved:';
