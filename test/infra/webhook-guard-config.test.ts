/**
 * The address guard's local exception never reaches the cloud: the variables that let a private
 * host through (ALLOWED_PRIVATE_WEBHOOK_HOSTS) or trust an extra CA (WEBHOOK_CA_FILE) are set
 * by the local stack alone (infra/local/service-env.ts, for its vendor sink: see
 * test/unit/local/service-env.test.ts), and no deployed function carries them, whatever the stage
 * or the context a deployer passes.
 */
import { buildTestApp } from './custos-app.ts';

const LOCAL_ONLY = ['ALLOWED_PRIVATE_WEBHOOK_HOSTS', 'WEBHOOK_CA_FILE'];

/** Every deployed function's environment variables. */
function deployedEnvironments(context: Record<string, unknown>): Record<string, unknown>[] {
  const functions = buildTestApp(context).api.findResources('AWS::Lambda::Function');
  return Object.values(functions).map(
    (fn) => (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
  );
}

// Context keys named like the variables do not open the guard (one synth: the environment a
// function gets does not depend on the stage).
const HOSTILE_CONTEXT = {
  ALLOWED_PRIVATE_WEBHOOK_HOSTS: 'localhost',
  WEBHOOK_CA_FILE: '/tmp/ca.pem',
  allowedPrivateWebhookHosts: ['localhost'],
  webhookCaFile: '/tmp/ca.pem',
};

test('no deployed function may reach a private webhook host or trust an extra CA', () => {
  const environments = deployedEnvironments(HOSTILE_CONTEXT);
  expect(environments.length).toBeGreaterThan(5);
  for (const variables of environments)
    for (const name of LOCAL_ONLY) expect(variables).not.toHaveProperty(name);
  // The check can fail: the webhook-sending function is among them and has an environment.
  expect(environments.some((variables) => 'RECORDS_TABLE' in variables)).toBe(true);
});
