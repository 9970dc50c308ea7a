/**
 * The local IAM check: an SDK plugin that evaluates, on every call, the synthesized policy of the
 * function the call runs as (function-identity.ts) and answers AccessDenied as the service would.
 * Registered on the clients of shared/adapters/aws/clients.ts (client-plugins.ts), so one client per
 * process serves every function and still checks each call against its own function's role.
 * Calls outside any function (test set-up, provisioning, scripts) are not a function's and pass.
 *
 * It sits in the deserialize step, below the SDK's deserializer: a denied call never reaches the
 * emulator, and the service's own error answer is what the SDK parses.
 */
import { appendFileSync } from 'node:fs';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { ClientPlugin } from '../../../shared/adapters/aws/client-plugins.ts';
import { AUDIT_SIGNING_KEY_ALIAS, FIELD_KEY_ALIAS } from '../kms-server.ts';
import { LOCAL_ACCOUNT_ID } from '../lambda-events.ts';
import { accessDeniedResponse } from './access-denied.ts';
import { currentFunction } from './function-identity.ts';
import { localArn } from './local-arns.ts';
import { evaluate, type Decision, type IamRequest, type PolicyStatement } from './policy-evaluator.ts';
import { iamRequestsOf } from './sdk-requests.ts';

/** Each function's identity policy, resolved to local names. */
export type FunctionPolicies = Readonly<Record<string, readonly PolicyStatement[]>>;

/** One authorisation a function needed, and the answer. */
export interface ExercisedCall {
  readonly fn: string;
  readonly action: string;
  readonly resource: string;
  readonly allowed: boolean;
}

interface HandlerContext {
  readonly clientName?: string;
  readonly commandName?: string;
}
type Next = (args: { input: Record<string, unknown> }) => Promise<unknown>;

export const IAM_PLUGIN_NAME = 'custos-local-iam';

/** The key ids and ARNs behind the product's aliases, asked of the local KMS once per process. */
let keyAliases: Promise<ReadonlyMap<string, string>> | undefined;

function aliasesOfKeys(): Promise<ReadonlyMap<string, string>> {
  keyAliases ??= (async () => {
    // A client of its own, without the plugin: this look-up is the check's, not the function's.
    const client = new KMSClient({});
    try {
      const map = new Map<string, string>();
      for (const alias of [FIELD_KEY_ALIAS, AUDIT_SIGNING_KEY_ALIAS]) {
        const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: alias }));
        if (KeyMetadata?.KeyId !== undefined) map.set(KeyMetadata.KeyId, alias);
        if (KeyMetadata?.Arn !== undefined) map.set(KeyMetadata.Arn, alias);
      }
      return map;
    } finally {
      client.destroy();
    }
  })();
  keyAliases.catch(() => (keyAliases = undefined));
  return keyAliases;
}

async function keyResolver(input: Record<string, unknown>): Promise<(keyId: string) => string> {
  const keyId = typeof input.KeyId === 'string' ? input.KeyId : '';
  if (keyId.startsWith('alias/')) return (id) => localArn.keyByAlias(id);
  if (/^arn:aws:kms:[^:]*:[^:]*:alias\//.test(keyId)) return (id) => id;
  const aliases = await aliasesOfKeys();
  return (id) => {
    const alias = aliases.get(id);
    return alias === undefined ? id : localArn.keyByAlias(alias);
  };
}

const denial = (fn: string, request: IamRequest, decision: Decision): string =>
  `User: arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/${fn}/${fn} is not authorized to perform: ${request.action} on resource: ${request.resource} because ` +
  (decision.allowed === false && decision.reason === 'explicit-deny'
    ? 'of an explicit deny in an identity-based policy'
    : `no identity-based policy allows the ${request.action} action`);

export interface IamEnforcementOptions {
  /** Told every authorisation a function needed (the exercised-calls report). */
  readonly onCall?: (call: ExercisedCall) => void;
}

/** `policies` is read on every call, so a test can swap a function's policy on clients already made. */
export function iamEnforcementPlugin(
  policies: () => FunctionPolicies,
  options: IamEnforcementOptions = {},
): ClientPlugin {
  const middleware =
    (next: Next, context: HandlerContext) => async (args: { input: Record<string, unknown> }) => {
      const fn = currentFunction();
      if (fn === undefined) return next(args);
      const clientName = context.clientName ?? '';
      const statements = policies()[fn];
      if (statements === undefined)
        throw new Error(`The local IAM check has no policy for the function ${fn}`);
      const keyAlias = clientName === 'KMSClient' ? await keyResolver(args.input) : (id: string) => id;
      for (const request of iamRequestsOf(clientName, context.commandName ?? '', args.input, keyAlias)) {
        const decision = evaluate(statements, request);
        options.onCall?.({
          fn,
          action: request.action,
          resource: request.resource,
          allowed: decision.allowed,
        });
        if (!decision.allowed)
          return { response: accessDeniedResponse(clientName, denial(fn, request, decision)) };
      }
      return next(args);
    };
  return {
    name: IAM_PLUGIN_NAME,
    applyToStack: (stack: {
      add(middleware: unknown, options: { step: 'deserialize'; priority: 'low'; name: string }): void;
    }) => stack.add(middleware, { step: 'deserialize', priority: 'low', name: IAM_PLUGIN_NAME }),
  };
}

/**
 * Appends each distinct exercised call to `file` (JSON lines), once per process: the test run's
 * workers and the local stack write side by side, the report reads them all.
 */
export function appendExercisedCalls(file: string): (call: ExercisedCall) => void {
  const seen = new Set<string>();
  return (call) => {
    const line = JSON.stringify(call);
    if (seen.has(line)) return;
    seen.add(line);
    appendFileSync(file, `${line}\n`);
  };
}
