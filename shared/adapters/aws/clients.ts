/**
 * AWS SDK clients, created once per cold start. Endpoints come from the SDK's standard
 * AWS_ENDPOINT_URL_<SERVICE> variables (set by the local stack), never from code branches. The SQS
 * client is in sqs-client.ts, apart, so that the API functions can load it on demand.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { env } from '../../config.ts';
import { withClientPlugins } from './client-plugins.ts';

let documentClient: DynamoDBDocumentClient | undefined;
let kmsClient: KMSClient | undefined;
let s3Client: S3Client | undefined;
let sesClient: SESClient | undefined;

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(
    withClientPlugins(new DynamoDBClient({ region: env.region() })),
    {
      marshallOptions: { removeUndefinedValues: true },
    },
  );
  return documentClient;
}

export function kms(): KMSClient {
  kmsClient ??= withClientPlugins(new KMSClient({ region: env.region() }));
  return kmsClient;
}

export function s3(): S3Client {
  // Path-style addressing works with every S3 endpoint, the local emulator included.
  s3Client ??= withClientPlugins(
    new S3Client({ region: env.region(), forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' }),
  );
  return s3Client;
}

export function ses(): SESClient {
  sesClient ??= withClientPlugins(new SESClient({ region: env.region() }));
  return sesClient;
}
