/** Reads what the adapters stored, around them: the raw records of an organization and its audit events. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

function table(envVar: 'RECORDS_TABLE' | 'AUDIT_TABLE'): string {
  const name = process.env[envVar];
  if (name === undefined) throw new Error(`${envVar} is not set: the global setup did not run`);
  return name;
}

async function partition(
  envVar: 'RECORDS_TABLE' | 'AUDIT_TABLE',
  orgId: string,
  prefix: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({
        TableName: table(envVar),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `ORG#${orgId}`, ':prefix': prefix },
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  return items;
}

/** Every records-table item of the organization whose sort key starts with `prefix`. */
export const storedRecords = (orgId: string, prefix = ''): Promise<Record<string, unknown>[]> =>
  partition('RECORDS_TABLE', orgId, prefix);

/** The organization's audit events, oldest first. */
export const auditEvents = (orgId: string): Promise<Record<string, unknown>[]> =>
  partition('AUDIT_TABLE', orgId, 'EVT#');

/** Marks a job restricted as the restriction routes (a later issue) will, to test that processing refuses it. */
export async function restrictDirectly(orgId: string, jobId: string): Promise<void> {
  await documents.send(
    new UpdateCommand({
      TableName: table('RECORDS_TABLE'),
      Key: { pk: `ORG#${orgId}`, sk: `JOB#${jobId}` },
      UpdateExpression: 'SET restriction = :r',
      ExpressionAttributeValues: {
        ':r': { reason: 'disputed accuracy', at: new Date().toISOString(), by: 'test' },
      },
    }),
  );
}
