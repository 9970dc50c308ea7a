/**
 * Plugins every AWS SDK client takes on when it is created (clients.ts and the sqs-, s3- and
 * ses-client.ts modules). In AWS nothing registers one; the local stack and the tests register
 * the local IAM check here (infra/local/iam/), so the adapters run unchanged and no code branches
 * on where it runs.
 * Kept on globalThis so every copy of this module in a process (jest gives each test file its own
 * module registry) shares one list.
 */

/** An SDK plugin (`Pluggable`): it adds its middleware to a client's stack. */
export interface ClientPlugin {
  readonly name: string;
  // The stack's type is generic on each client's commands; a plugin works on any of them.
  applyToStack(stack: never): void;
}

interface PluggableClient {
  readonly middlewareStack: { use(plugin: { applyToStack(stack: never): void }): void };
}

const KEY = Symbol.for('custos.aws-client-plugins');
type WithPlugins = typeof globalThis & { [KEY]?: ClientPlugin[] };

function registered(): ClientPlugin[] {
  const holder = globalThis as WithPlugins;
  holder[KEY] ??= [];
  return holder[KEY];
}

/** Clients created from now on take `plugin`; one plugin per name (registering again replaces it). */
export function registerClientPlugin(plugin: ClientPlugin): void {
  const plugins = registered();
  const index = plugins.findIndex((p) => p.name === plugin.name);
  if (index >= 0) plugins.splice(index, 1, plugin);
  else plugins.push(plugin);
}

export function withClientPlugins<T extends PluggableClient>(client: T): T {
  for (const plugin of registered()) client.middlewareStack.use(plugin);
  return client;
}
