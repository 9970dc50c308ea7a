/**
 * Faults and observation for AWS SDK v3 clients, as middleware on the client's own stack: the real
 * adapters run unchanged and talk to the emulators; only the chosen call of the chosen command
 * fails, the way DynamoDB fails under load. Installed in the `initialize` step, outside the SDK's
 * retry loop, so an injected throttle is what the adapter sees once the SDK's own retries are
 * spent (mode `command`); mode `attempt` injects inside the loop (`finalizeRequest`, after the
 * retry middleware) to prove the SDK's retries absorb one bad attempt.
 *
 * Works on the DynamoDBDocumentClient too: it shares its middleware stack with the client below.
 */
import { DynamoDBServiceException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';

/** The part of an SDK client used here (each client's stack type is generic on its own commands). */
export interface MiddlewareHost {
  readonly middlewareStack: {
    add(
      middleware: unknown,
      options: { step: 'initialize' | 'finalizeRequest'; name: string; priority?: 'high' | 'low' },
    ): void;
    addRelativeTo(
      middleware: unknown,
      options: { relation: 'after'; toMiddleware: string; name: string },
    ): void;
    remove(name: string): boolean;
  };
}

export type FaultKind = 'throughput' | 'throttling' | 'timeout' | 'unprocessed';

export interface FaultSpec {
  /** The low-level command without `Command`: `TransactWriteItems`, `BatchWriteItem`, `Query`… */
  readonly command: string;
  /** The Nth call of that command fails (1-based); calls before and after go through. */
  readonly nth: number;
  /** With `times` > 1 the Nth and the following calls fail, that many in all. */
  readonly times?: number;
  readonly kind: FaultKind;
  /** `command` (default): fails the whole send. `attempt`: fails one attempt, inside the SDK's retries. */
  readonly mode?: 'command' | 'attempt';
  /** `timeout` only: `after` lets the request reach the service and loses its answer. Default `before`. */
  readonly timeoutWhen?: 'before' | 'after';
}

export interface InstalledFault {
  /** How many times the fault fired so far. */
  readonly fired: number;
  /** Calls of the chosen command seen so far. */
  readonly calls: number;
  remove(): void;
}

let installed = 0;

const $metadata = { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 };

/** The error DynamoDB's client raises for `kind`, with the name and shape the SDK gives it. */
export function faultError(kind: Exclude<FaultKind, 'unprocessed'>): Error {
  if (kind === 'throughput') {
    return new ProvisionedThroughputExceededException({
      message: 'The level of configured provisioned throughput for the table was exceeded (injected)',
      $metadata,
    });
  }
  if (kind === 'throttling') {
    // Control-plane and on-demand throttles carry this name; the client models it as a plain service exception.
    return new DynamoDBServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      message: 'Rate of requests exceeds the allowed throughput (injected)',
      $metadata,
    });
  }
  // What @smithy/node-http-handler throws when requestTimeout elapses.
  return Object.assign(new Error('Connection timed out after 1000 ms (injected)'), { name: 'TimeoutError' });
}

type Next = (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>;

/**
 * Half of each table's requests (at least one) are held back and answered as UnprocessedItems,
 * exactly as DynamoDB does when a partition is hot: the others are really written.
 */
async function partiallyProcess(
  next: Next,
  args: { input: Record<string, unknown> },
): Promise<{ output: Record<string, unknown> }> {
  const requestItems = (args.input.RequestItems ?? {}) as Record<string, unknown[]>;
  const sent: Record<string, unknown[]> = {};
  const held: Record<string, unknown[]> = {};
  for (const [table, requests] of Object.entries(requestItems)) {
    const keep = Math.floor(requests.length / 2);
    if (keep > 0) sent[table] = requests.slice(0, keep);
    held[table] = requests.slice(keep);
  }
  const result =
    Object.keys(sent).length > 0
      ? await next({ ...args, input: { ...args.input, RequestItems: sent } })
      : { output: { UnprocessedItems: {} } as Record<string, unknown> };
  const unprocessed = { ...((result.output.UnprocessedItems ?? {}) as Record<string, unknown[]>) };
  for (const [table, requests] of Object.entries(held))
    unprocessed[table] = [...(unprocessed[table] ?? []), ...requests];
  return { ...result, output: { ...result.output, UnprocessedItems: unprocessed } };
}

const commandOf = (context: object): string =>
  String((context as { commandName?: string }).commandName ?? '').replace(/Command$/, '');

export function injectFault(client: MiddlewareHost, spec: FaultSpec): InstalledFault {
  if (spec.kind === 'unprocessed' && spec.command !== 'BatchWriteItem')
    throw new Error('UnprocessedItems exist only for BatchWriteItem');
  const name = `custosTestFault${(installed += 1)}`;
  const times = spec.times ?? 1;
  const state = { calls: 0, fired: 0 };
  const middleware = (next: Next, context: object) => async (args: { input: Record<string, unknown> }) => {
    if (commandOf(context) !== spec.command) return next(args);
    state.calls += 1;
    if (state.calls < spec.nth || state.calls >= spec.nth + times) return next(args);
    state.fired += 1;
    if (spec.kind === 'unprocessed') return partiallyProcess(next, args);
    if (spec.kind === 'timeout' && spec.timeoutWhen === 'after') await next(args);
    throw faultError(spec.kind);
  };
  if (spec.mode === 'attempt')
    client.middlewareStack.addRelativeTo(middleware, {
      relation: 'after',
      toMiddleware: 'retryMiddleware',
      name,
    });
  else client.middlewareStack.add(middleware, { step: 'initialize', name, priority: 'high' });
  return {
    get fired() {
      return state.fired;
    },
    get calls() {
      return state.calls;
    },
    remove: () => void client.middlewareStack.remove(name),
  };
}

export interface ObservedCall {
  readonly command: string;
  readonly succeeded: boolean;
}

export interface CommandLog {
  readonly calls: readonly ObservedCall[];
  /** Empties the log (between property runs). */
  clear(): void;
  remove(): void;
}

/** Records every command the client sends (name and outcome): proof of what a request did or did not touch. */
export function observeCommands(client: MiddlewareHost): CommandLog {
  const name = `custosTestObserver${(installed += 1)}`;
  const calls: ObservedCall[] = [];
  client.middlewareStack.add(
    (next: Next, context: object) => async (args: { input: Record<string, unknown> }) => {
      try {
        const result = await next(args);
        calls.push({ command: commandOf(context), succeeded: true });
        return result;
      } catch (error) {
        calls.push({ command: commandOf(context), succeeded: false });
        throw error;
      }
    },
    // Lowest priority in `initialize`: closest to the wire of the initialize step, after any fault.
    { step: 'initialize', name, priority: 'low' },
  );
  return {
    calls,
    clear: () => void calls.splice(0),
    remove: () => void client.middlewareStack.remove(name),
  };
}

/** DynamoDB commands that change data. */
export const DYNAMO_WRITES = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
]);
