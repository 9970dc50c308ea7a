/**
 * A DynamoDB client for the emulator whose requests are counted (once per request sent, retries
 * included), its document client, and the measure of one pass: what the deletion and retention
 * benchmarks measure by.
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

/** What one pass cost: wall seconds, the DynamoDB requests it sent, the process's peak RSS in MB. */
export interface PassCost {
  readonly seconds: number;
  readonly requests: number;
  readonly peakMb: number;
}

/** Runs one pass and measures it; RSS is sampled every 20 ms, and once more at the end. */
export async function measurePass<T>(
  requests: () => number,
  pass: () => Promise<T>,
): Promise<{ result: T; cost: PassCost }> {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  try {
    const requestsBefore = requests();
    const started = performance.now();
    const result = await pass();
    const seconds = (performance.now() - started) / 1000;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return {
      result,
      cost: { seconds, requests: requests() - requestsBefore, peakMb: Math.round(peakRss / (1024 * 1024)) },
    };
  } finally {
    clearInterval(sampler);
  }
}
