/** Mailer: transactional email (the backup link). Messages carry text and HTML alternatives. */
export interface Mail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface Mailer {
  send(mail: Mail): Promise<{ messageId: string }>;
}

/**
 * Sending failed. Carries the provider's error code only: provider messages may quote the
 * recipient's address, which must not reach logs.
 */
export class MailDeliveryError extends Error {
  constructor(
    readonly code: string,
    readonly retryable: boolean,
  ) {
    super(`Sending the email failed (${code})`);
    this.name = 'MailDeliveryError';
  }
}
