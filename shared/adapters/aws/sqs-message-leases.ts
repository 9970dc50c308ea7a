/**
 * MessageLeases on SQS: the heartbeat AWS recommends for long-running consumers. Holding a message
 * sets its visibility timeout to the lease at once (ChangeMessageVisibility), then renews it every
 * third of the lease, so two renewals may fail in a row before the message shows again. Renewals
 * run one after another, never overlapping. A renewal that fails is logged and retried at the next
 * beat; one refused because the message is gone (deleted, or its receipt expired) ends the lease.
 */
import {
  ChangeMessageVisibilityCommand,
  MessageNotInflight,
  ReceiptHandleIsInvalid,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { logger } from '../../logger.ts';
import type { MessageLease, MessageLeases } from '../../ports/message-lease.ts';

export class SqsMessageLeases implements MessageLeases {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly leaseSeconds: number,
  ) {}

  async hold(receipt: string, onRenewed?: () => Promise<void>): Promise<MessageLease> {
    let released = false;
    let timer: NodeJS.Timeout | undefined;

    const renew = async (renewal: boolean): Promise<void> => {
      try {
        await this.client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: this.queueUrl,
            ReceiptHandle: receipt,
            VisibilityTimeout: this.leaseSeconds,
          }),
        );
      } catch (error) {
        if (error instanceof MessageNotInflight || error instanceof ReceiptHandleIsInvalid) {
          released = true;
          return;
        }
        logger.warn('message lease not renewed; retried at the next beat', {
          error: error instanceof Error ? error.name : 'unknown',
        });
        return;
      }
      // A renewal already under way when the holder let go says nothing more about its work.
      if (renewal && !released)
        await onRenewed?.().catch((error: unknown) =>
          logger.warn('lease renewal hook failed', {
            error: error instanceof Error ? error.name : 'unknown',
          }),
        );
    };
    const beat = (): void => {
      timer = setTimeout(
        () => {
          void renew(true).then(() => {
            if (!released) beat();
          });
        },
        (this.leaseSeconds * 1000) / 3,
      );
      // A lease never keeps a process alive by itself: its holder's work does.
      timer.unref();
    };

    await renew(false);
    if (!released) beat();
    return {
      release() {
        released = true;
        clearTimeout(timer);
      },
    };
  }
}
