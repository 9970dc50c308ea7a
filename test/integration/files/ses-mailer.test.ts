import { SESClient } from '@aws-sdk/client-ses';
import { SesMailer } from '../../../shared/adapters/aws/ses-mailer.ts';
import { env } from '../../../shared/config.ts';
import { MailDeliveryError } from '../../../shared/ports/mailer.ts';
import { newId } from '../../../shared/domain/ids.ts';
import { emailsTo } from '../../support/mailbox.ts';

describe('SesMailer against the SES emulator', () => {
  test('sends text and HTML alternatives from the configured sender', async () => {
    // Prepare
    const to = `owner-${newId().toLowerCase()}@example.com`;

    // Act
    const { messageId } = await new SesMailer().send({
      to,
      subject: 'Votre sauvegarde est prête',
      text: 'Lien : https://example.com/x',
      html: '<p>Lien</p>',
    });

    // Assess
    expect(messageId).not.toBe('');
    const [email, ...others] = await emailsTo(to);
    expect(others).toHaveLength(0);
    expect(email?.from).toBe(env.mailFrom());
    expect(email?.subject).toBe('Votre sauvegarde est prête');
    expect(email?.body.text).toBe('Lien : https://example.com/x');
    expect(email?.body.html).toBe('<p>Lien</p>');
  });

  test('reports a failure by code only, never quoting the recipient', async () => {
    // Prepare: nothing listens on this port.
    const client = new SESClient({ region: env.region(), endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const to = 'someone.private@example.com';

    // Act
    const sending = new SesMailer(client, 'no-reply@example.com').send({
      to,
      subject: 's',
      text: 't',
      html: '<p>h</p>',
    });

    // Assess
    await expect(sending).rejects.toBeInstanceOf(MailDeliveryError);
    await expect(sending).rejects.not.toThrow(/someone\.private/);
  });
});
