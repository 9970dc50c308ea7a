/**
 * Which function the current code runs as. The local stack runs every handler in one process
 * with one set of shared SDK clients, so the identity cannot be a client setting: the invoker
 * (invoke.ts) sets it around each invocation and it follows the invocation's async work, the
 * way a Lambda's role follows its process. Kept on globalThis so every copy of this module
 * (jest gives each test file its own module registry) sees the same store.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const KEY = Symbol.for('custos.local.function-identity');
type WithStore = typeof globalThis & { [KEY]?: AsyncLocalStorage<string> };

function store(): AsyncLocalStorage<string> {
  const holder = globalThis as WithStore;
  holder[KEY] ??= new AsyncLocalStorage<string>();
  return holder[KEY];
}

/** Runs `work` as the manifest function `name`: its AWS calls are checked against that function's policy. */
export function runAsFunction<T>(name: string, work: () => T): T {
  return store().run(name, work);
}

/** The function the current async context runs as; undefined outside any invocation (test set-up, provisioning). */
export function currentFunction(): string | undefined {
  return store().getStore();
}
