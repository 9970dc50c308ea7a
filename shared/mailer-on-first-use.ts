/**
 * The mailer (SES) for the functions whose first event seldom mails: the report link's page
 * (only its form sends a code) and the clean-up cycle (only overdue requests are reminded). The
 * adapter and `@aws-sdk/client-ses` under it are loaded by `import()` on the first send; the
 * sender address is still read at cold start. A module of its own, not in services.ts, for the
 * reason files-on-first-use.ts gives.
 */
import { env } from './config.ts';
import { loadedOnFirstUse } from './loaded-on-first-use.ts';
import type { Mailer } from './ports/mailer.ts';

let mailer: Mailer | undefined;

function onFirstUse(): Mailer {
  const from = env.mailFrom();
  const sesMailer = loadedOnFirstUse(async () => {
    const { SesMailer } = await import('./adapters/aws/ses-mailer.ts');
    return new SesMailer(undefined, from);
  });
  return { send: async (mail) => (await sesMailer.get()).send(mail) };
}

/** The mailer, created on first call (at cold start, through `atColdStart`) and kept. */
export function mailerOnFirstUse(): Mailer {
  mailer ??= onFirstUse();
  return mailer;
}
