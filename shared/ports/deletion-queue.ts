/**
 * The deletion queue: organizations and accounts waiting for the clean-up cycle. The message is
 * the contract between the API that accepts a deletion and the cycle that carries it out; it holds
 * ids only (no names, no emails).
 */
import * as z from 'zod/mini';
import { isId } from '../domain/ids.ts';

const orgId = z.string().check(z.refine(isId, 'not an organization id'));
const timestamp = z.iso.datetime();

const deletionRequest = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('org'),
    orgId,
    requestedBy: z.string().check(z.minLength(1), z.maxLength(128)),
    requestedAt: timestamp,
  }),
  z.strictObject({
    kind: z.literal('account'),
    userId: z.string().check(z.minLength(1), z.maxLength(128)),
    requestedAt: timestamp,
  }),
]);

export type DeletionRequest = z.infer<typeof deletionRequest>;

/** The request a message body carries, or undefined for a malformed (poison) body. */
export function parseDeletionRequest(body: string): DeletionRequest | undefined {
  try {
    const parsed = deletionRequest.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface ReceivedDeletion {
  readonly messageId: string;
  /** What `acknowledge` needs to remove the message. */
  readonly receipt: string;
  /** undefined when the body is not a valid request: such a message is never acknowledged. */
  readonly request: DeletionRequest | undefined;
}

export interface DeletionQueue {
  send(request: DeletionRequest): Promise<void>;
  /** Up to `max` (≤ 10) messages, waiting at most `waitSeconds` for the first. */
  receive(max: number, waitSeconds: number): Promise<ReceivedDeletion[]>;
  /** Removes a message whose work is done; one left unacknowledged comes back after the visibility timeout. */
  acknowledge(receipt: string): Promise<void>;
  /**
   * Stops keeping the received, unacknowledged messages invisible (the run ends): they come back
   * within one lease. Until then, a received request stays invisible however long the run works.
   */
  releaseHeld(): void;
}
