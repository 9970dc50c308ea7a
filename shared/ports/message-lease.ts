/**
 * A queue message held while its work runs. The holder keeps it invisible to other consumers by
 * renewing a short lease (a heartbeat); if the holder dies, the renewals stop and the message is
 * delivered again within one lease, so the work is retried in minutes, idempotently.
 */
export interface MessageLease {
  /** Stops renewing. The message stays where it is: deleted by whoever acknowledges it, or back after the lease. */
  release(): void;
}

export interface MessageLeases {
  /**
   * Takes the lease on a received message at once, then renews it until released; `onRenewed`
   * runs after each renewal (the worker records its sign of life there).
   */
  hold(receipt: string, onRenewed?: () => Promise<void>): Promise<MessageLease>;
}
