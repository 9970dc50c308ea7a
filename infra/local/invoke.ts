/**
 * Runs a manifest function the way Lambda does: its module is imported on the first invocation
 * (the cold start) and reused afterwards, each invocation gets a fresh context, and a run that
 * outlives the function's timeout fails. The gateway, scheduler, poller and dev routes share it.
 * Each invocation runs as its function, so the local IAM check (iam/) applies that function's policy.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionSpec } from '../manifest.ts';
import { runAsFunction } from './iam/function-identity.ts';
import { lambdaContext } from './lambda-events.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Handler = (event: unknown, context: Context) => unknown;

export class FunctionTimeoutError extends Error {
  override readonly name = 'FunctionTimeoutError';
}

/**
 * The entry module failed to load (missing file, syntax error, missing configuration). Its
 * message is shown: a cold start has seen no request, so it carries no request data.
 */
export class FunctionInitError extends Error {
  override readonly name = 'FunctionInitError';
}

export class FunctionRuntime {
  private readonly handlers = new Map<string, Promise<Handler>>();

  /** Imports the entry module once. A failed import is forgotten, so fixing the file and retrying works. */
  private handlerOf(fn: FunctionSpec): Promise<Handler> {
    let loading = this.handlers.get(fn.name);
    if (loading === undefined) {
      const url = pathToFileURL(path.resolve(REPO_ROOT, fn.entry)).href;
      loading = import(url).then(
        (module: { handler?: unknown }) => {
          if (typeof module.handler !== 'function')
            throw new FunctionInitError(`${fn.entry} does not export a handler function`);
          return module.handler as Handler;
        },
        (error: unknown) => {
          const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          throw new FunctionInitError(`${fn.entry} could not be loaded (${reason})`, { cause: error });
        },
      );
      loading.catch(() => this.handlers.delete(fn.name));
      this.handlers.set(fn.name, loading);
    }
    return loading;
  }

  async invoke(fn: FunctionSpec, event: unknown): Promise<unknown> {
    const handler = await this.handlerOf(fn);
    const context = lambdaContext(fn);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FunctionTimeoutError(`${fn.name} timed out after ${fn.timeoutSeconds} s`)),
        fn.timeoutSeconds * 1000,
      );
    });
    try {
      return await Promise.race([
        runAsFunction(fn.name, () => Promise.resolve().then(() => handler(event, context))),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What the gateway, scheduler and poller need of the runtime (tests pass a stand-in). */
export type Invoker = Pick<FunctionRuntime, 'invoke'>;

/** Errors are logged by name only, as messages and stacks may carry request data; init failures carry none. */
export function errorName(error: unknown): string {
  if (error instanceof FunctionInitError) return `${error.name}: ${error.message}`;
  return error instanceof Error ? error.name : typeof error;
}
