/**
 * The SQS client, created once per cold start like those of clients.ts, in a module of its own:
 * the API functions reach it only through `import()` when they queue a message (services.ts), so
 * their cold start does not read the SQS client; the workers that receive import it as usual.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { env } from '../../config.ts';
import { withClientPlugins } from './client-plugins.ts';

let client: SQSClient | undefined;

export function sqs(): SQSClient {
  client ??= withClientPlugins(new SQSClient({ region: env.region() }));
  return client;
}
