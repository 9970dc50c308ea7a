/**
 * cdk-nag v3 acknowledges one finding at a time, by an id that embeds the flattened resource
 * (`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::name/orgs/*]`). Computing that id with
 * cdk-nag's own flattening keeps each acknowledgment scoped to exactly the resource it names.
 * The token must resolve inside `scope`'s stack (no cross-stack reference, which CDK rewrites
 * into an import later): otherwise the id would not match and synth fails loudly.
 */
import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';

export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}
