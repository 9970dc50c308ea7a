/**
 * The SES client, created once per cold start like those of clients.ts, in a module of its own:
 * the functions that mail reach it only through `import()` when they first send
 * (shared/mailer-on-first-use.ts), so their cold start does not read it.
 */
import { SESClient } from '@aws-sdk/client-ses';
import { env } from '../../config.ts';
import { withClientPlugins } from './client-plugins.ts';

let client: SESClient | undefined;

export function ses(): SESClient {
  client ??= withClientPlugins(new SESClient({ region: env.region() }));
  return client;
}
