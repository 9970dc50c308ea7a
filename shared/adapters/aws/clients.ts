/**
 * AWS SDK clients, created once per cold start. Endpoints come from the SDK's standard
 * AWS_ENDPOINT_URL_<SERVICE> variables (set by the local stack), never from code branches. The SQS,
 * S3 and SES clients are in modules of their own (sqs-client.ts, s3-client.ts, ses-client.ts), so
 * that the functions can load them on demand.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { env } from '../../config.ts';
import { withClientPlugins } from './client-plugins.ts';

let documentClient: DynamoDBDocumentClient | undefined;
let kmsClient: KMSClient | undefined;

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
