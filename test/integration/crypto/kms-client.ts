/**
 * A KMS client for the local endpoint, with a middleware that counts the calls per operation as
 * they go on the wire: the cache tests count Decrypt calls on the wire, not calls to our adapter.
 */
import { KMSClient } from '@aws-sdk/client-kms';

export interface CountingKmsClient {
  readonly client: KMSClient;
  readonly calls: Map<string, number>;
}

export function countingKmsClient(endpoint: string): CountingKmsClient {
  // Dummy credentials: the local endpoint does not check SigV4 signatures.
  const client = new KMSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const calls = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => (args) => {
      const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
      calls.set(operation, (calls.get(operation) ?? 0) + 1);
      return next(args);
    },
    // The deserialize step runs once per request sent, retries included: these are wire calls.
    { step: 'deserialize', name: 'countKmsCalls' },
  );
  return { client, calls };
}
