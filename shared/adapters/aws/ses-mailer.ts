/**
 * Mailer on SES (v1 SendEmail): text and HTML alternatives, UTF-8, from the configured sender.
 * Provider errors are replaced by their code: SES messages may quote the recipient's address.
 */
import { SendEmailCommand, SESServiceException, type SESClient } from '@aws-sdk/client-ses';
import { env } from '../../config.ts';
import { MailDeliveryError, type Mail, type Mailer } from '../../ports/mailer.ts';
import { ses } from './ses-client.ts';

export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESClient = ses(),
    private readonly from: string = env.mailFrom(),
  ) {}

  async send(mail: Mail): Promise<{ messageId: string }> {
    const command = new SendEmailCommand({
      Source: this.from,
      Destination: { ToAddresses: [mail.to] },
      Message: {
        Subject: { Data: mail.subject, Charset: 'UTF-8' },
        Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
      },
    });
    try {
      const { MessageId } = await this.client.send(command);
      if (MessageId === undefined) throw new MailDeliveryError('NoMessageId', true);
      return { messageId: MessageId };
    } catch (error) {
      if (error instanceof MailDeliveryError) throw error;
      if (error instanceof SESServiceException)
        throw new MailDeliveryError(error.name, error.$fault === 'server' || error.$retryable !== undefined);
      throw new MailDeliveryError('NetworkError', true);
    }
  }
}
