/**
 * The Custos CDK app as the cloud gets it, synthesized on this machine, with its references
 * resolved to the local resources: the local IAM check takes each function's policy from here,
 * and the artifact test its handler, environment and code. One app (infra/stacks/custos.ts), the
 * context of cdk.json, only the mail sender set to the local one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type { FunctionCode } from '../constructs/function-bundles.ts';
import { buildCustos, type CustosStacks } from '../stacks/custos.ts';
import { QUEUES, TABLES, BUCKETS, type QueueName, type TableName } from '../resources.ts';
import { REPO_ROOT } from './invoke.ts';
import { AUDIT_SIGNING_KEY_ALIAS, FIELD_KEY_ALIAS } from './kms-server.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './lambda-events.ts';
import { localArn, UNRESOLVED } from './iam/local-arns.ts';
import { dlqName } from './provision.ts';
import { LOCAL_MAIL_FROM } from './service-env.ts';

type Template = {
  readonly Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
};

/** What stands locally for a cloud resource: its `Ref` and its `Fn::GetAtt` attributes. */
interface LocalResource {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface CloudFunction {
  readonly name: string;
  /** `file.export`, relative to the code asset. */
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  /** The identity policy statements of its role, resolved (see policy-evaluator.ts for their form). */
  readonly statements: ReadonlyArray<Record<string, unknown>>;
  /** The code asset directory inside the cloud assembly, when the app was synthesized with bundles. */
  readonly assetDir: string | undefined;
}

export interface SynthesizeOptions {
  /** The functions' code; default a one-line placeholder (policies and environment do not depend on it). */
  readonly code?: FunctionCode;
  /** The queues' local URLs, for environments that name them. */
  readonly queueUrls?: Partial<Record<QueueName, string>>;
  /** Where the cloud assembly goes (default: a temporary directory). */
  readonly outdir?: string;
}

function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  // Asset metadata (as the CDK CLI turns it on) names each function's code directory in the assembly.
  return {
    ...cdkJson.context,
    mailFrom: LOCAL_MAIL_FROM,
    mailIdentity: '',
    'aws:cdk:enable-asset-metadata': true,
  };
}

const logicalId = (construct: IConstruct): string => {
  const element = construct.node.defaultChild as CfnElement | undefined;
  if (element === undefined) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).resolve(element.logicalId) as string;
};

function localResources(
  stacks: CustosStacks,
  queueUrls: SynthesizeOptions['queueUrls'] = {},
): Map<string, LocalResource> {
  const { data } = stacks;
  const map = new Map<string, LocalResource>();
  for (const [name, { table }] of Object.entries(data.tables) as Array<
    [TableName, (typeof data.tables)[TableName]]
  >) {
    const local = TABLES[name].localName;
    map.set(logicalId(table), { ref: local, attributes: { Arn: localArn.table(local) } });
  }
  for (const [name, { queue, deadLetterQueue }] of Object.entries(data.queues) as Array<
    [QueueName, (typeof data.queues)[QueueName]]
  >) {
    const local = QUEUES[name].localName;
    map.set(logicalId(queue), {
      ref: queueUrls[name] ?? local,
      attributes: { Arn: localArn.queue(local), QueueName: local },
    });
    const dlq = dlqName(QUEUES[name]);
    map.set(logicalId(deadLetterQueue), {
      ref: dlq,
      attributes: { Arn: localArn.queue(dlq), QueueName: dlq },
    });
  }
  const bucket = BUCKETS.files.localName;
  map.set(logicalId(data.files.bucket), { ref: bucket, attributes: { Arn: localArn.bucket(bucket) } });
  for (const [key, alias] of [
    [data.fieldKey, FIELD_KEY_ALIAS],
    [data.auditSigningKey, AUDIT_SIGNING_KEY_ALIAS],
  ] as const) {
    map.set(logicalId(key), { ref: alias, attributes: { Arn: localArn.keyByAlias(alias) } });
  }
  return map;
}

/** Resolves CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::Join, Fn::ImportValue, pseudo parameters). */
class TemplateResolver {
  private readonly renames: Array<[string, string]> = [];

  constructor(
    private readonly templates: Readonly<Record<string, Template>>,
    private readonly local: ReadonlyMap<string, LocalResource>,
  ) {
    // Resources named in the cloud (the files bucket's derived name) are named differently here.
    for (const [stackName, template] of Object.entries(templates)) {
      for (const [id, resource] of Object.entries(template.Resources)) {
        const cloudName =
          resource.Properties?.BucketName ?? resource.Properties?.TableName ?? resource.Properties?.QueueName;
        const localName = local.get(id)?.ref;
        if (cloudName !== undefined && localName !== undefined)
          this.renames.push([String(this.resolveIn(stackName, cloudName)), localName]);
      }
    }
  }

  resolve(stackName: string, value: unknown): unknown {
    const resolved = this.resolveIn(stackName, value);
    return this.rename(resolved);
  }

  private rename(value: unknown): unknown {
    if (typeof value === 'string')
      return this.renames.reduce((text, [cloud, local]) => text.split(cloud).join(local), value);
    if (Array.isArray(value)) return value.map((item) => this.rename(item));
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.rename(v)]));
    return value;
  }

  private resolveIn(stackName: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolveIn(stackName, item));
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    const [intrinsic, argument] = entries[0] ?? [];
    if (entries.length === 1 && intrinsic !== undefined) {
      if (intrinsic === 'Ref') return this.ref(stackName, String(argument));
      if (intrinsic === 'Fn::GetAtt') {
        const [id, attribute] = argument as [string, string];
        return this.local.get(id)?.attributes[attribute] ?? `${UNRESOLVED}${id}.${attribute}`;
      }
      if (intrinsic === 'Fn::Join') {
        const [separator, parts] = argument as [string, unknown[]];
        return parts.map((part) => String(this.resolveIn(stackName, part))).join(separator);
      }
      if (intrinsic === 'Fn::ImportValue')
        return this.importValue(String(this.resolveIn(stackName, argument)));
      if (intrinsic.startsWith('Fn::')) throw new Error(`The local resolver does not implement ${intrinsic}`);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolveIn(stackName, v)]));
  }

  private ref(stackName: string, name: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Region': LOCAL_REGION,
      'AWS::AccountId': LOCAL_ACCOUNT_ID,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stackName,
    };
    return pseudo[name] ?? this.local.get(name)?.ref ?? `${UNRESOLVED}${name}`;
  }

  private importValue(exportName: string): unknown {
    for (const [stackName, template] of Object.entries(this.templates)) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (output.Export?.Name === exportName) return this.resolveIn(stackName, output.Value);
      }
    }
    throw new Error(`No stack exports ${exportName}`);
  }
}

/** Synthesizes the app (about ten seconds) and reads each function's role, handler, environment and code from the templates. */
export function synthesizeCloudFunctions(options: SynthesizeOptions = {}): CloudFunction[] {
  const app = new App({
    context: cdkContext(),
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
  });
  const stacks = buildCustos(app, {
    code: options.code ?? (() => Code.fromInline('export const handler = async () => undefined;')),
  });
  const assembly = app.synth();
  const templates: Record<string, Template> = {};
  for (const stack of [stacks.data, stacks.api])
    templates[stack.stackName] = assembly.getStackByName(stack.stackName).template as Template;
  const resolver = new TemplateResolver(templates, localResources(stacks, options.queueUrls));
  const apiName = stacks.api.stackName;
  const api = templates[apiName]!;

  return [...stacks.api.functions].map(([name, fn]) => {
    const roleId = logicalId(fn.role!);
    const role = api.Resources[roleId];
    if (role?.Properties?.ManagedPolicyArns !== undefined)
      throw new Error(`${name}'s role has managed policies, which the local IAM check cannot read`);
    const statements = Object.values(api.Resources)
      .filter(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          ((r.Properties?.Roles ?? []) as Array<{ Ref?: string }>).some((ref) => ref.Ref === roleId),
      )
      .flatMap(
        (r) =>
          ((r.Properties?.PolicyDocument as { Statement: unknown[] }).Statement ?? []) as Array<
            Record<string, unknown>
          >,
      )
      .map((statement) => resolver.resolve(apiName, statement) as Record<string, unknown>);
    const resource = api.Resources[logicalId(fn)]!;
    const props = resource.Properties ?? {};
    const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}) as Record<string, unknown>;
    const assetPath = resource.Metadata?.['aws:asset:path'];
    return {
      name,
      handler: String(props.Handler),
      environment: Object.fromEntries(
        Object.entries(variables).map(([key, value]) => [key, String(resolver.resolve(apiName, value))]),
      ),
      statements,
      assetDir: typeof assetPath === 'string' ? join(assembly.directory, assetPath) : undefined,
    };
  });
}
