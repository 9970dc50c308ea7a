/**
 * A DynamoDB client for the emulator whose requests are counted (once per request sent, retries
 * included), and its document client: what the deletion and retention benchmarks measure by.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const LOCAL = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

export function countedDynamoDb(endpoint: string): {
  dynamo: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  requests: () => number;
} {
  const dynamo = new DynamoDBClient({ ...LOCAL, endpoint });
  let requests = 0;
  dynamo.middlewareStack.add(
    (next) => (args) => {
      requests += 1;
      return next(args);
    },
    { step: 'deserialize', name: 'countDynamoRequests' },
  );
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  return { dynamo, documents, requests: () => requests };
}
