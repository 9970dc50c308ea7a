/**
 * The audit sequencer of a test file: the real function, fed by the local stream poller from the
 * test stack's audit table stream, exactly as `npm start` runs it. It reads from the latest record,
 * so the tests of other files (and their deliberately tampered chains) are not replayed; tests
 * call `caughtUp()` once their writes are done, before they read the chain.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { FunctionRuntime } from '../../infra/local/invoke.ts';
import { startStreamPoller } from '../../infra/local/stream-poller.ts';
import { functionNamed } from '../../infra/manifest.ts';
import { testEnv } from './test-stack.ts';

export interface TestSequencer {
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestSequencer(): Promise<TestSequencer> {
  const dynamodb = new DynamoDBClient({});
  // DynamoDB Local serves the streams API on its own endpoint.
  const streams = new DynamoDBStreamsClient({ endpoint: testEnv('AWS_ENDPOINT_URL_DYNAMODB') });
  const poller = startStreamPoller({
    runtime: new FunctionRuntime(),
    dynamodb,
    streams,
    tableNames: { records: testEnv('RECORDS_TABLE'), audit: testEnv('AUDIT_TABLE') },
    functions: [functionNamed('audit-sequencer')],
    startAt: 'latest',
  });
  // The shards' positions are taken before the first test writes.
  await poller.caughtUp();
  return {
    caughtUp: () => poller.caughtUp(),
    async stop() {
      await poller.stop();
      dynamodb.destroy();
      streams.destroy();
    },
  };
}
