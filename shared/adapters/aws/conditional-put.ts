/**
 * A Put whose condition decides: true when the item was written, false when the condition failed
 * (someone else's item is there, or a claim is still held). Throttling and timeouts are mapped as
 * every DynamoDB call is (dynamo-errors.ts); anything else is thrown.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, type DynamoDBDocumentClient, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { guarded } from './dynamo-errors.ts';

export async function putIf(client: DynamoDBDocumentClient, input: PutCommandInput): Promise<boolean> {
  try {
    await guarded(client.send(new PutCommand(input)));
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
