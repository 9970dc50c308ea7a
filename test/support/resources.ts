/** The resources the global setup provisioned (queue and dead-letter queue URLs, names). */
import type { ProvisionedResources } from '../../infra/local/provision.ts';
import { TEST_ENV, testEnv } from './test-stack.ts';

export function provisionedResources(): ProvisionedResources {
  return JSON.parse(testEnv(TEST_ENV.resources)) as ProvisionedResources;
}
