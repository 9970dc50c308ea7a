/**
 * Data subject requests made through the public routes, as a subject makes them: the intake,
 * then the code read from the mail the SES emulator captured. Each comes from an address of its
 * own (TEST-NET-2), so fixtures never run into the intake's per-address limit.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { requestRoutes } from '../../../shared/api/routes/requests.ts';
import { emailsTo } from '../../support/mailbox.ts';
import { callRoute } from './invoke-route.ts';

export const freshSourceIp = (): string => `198.51.100.${randomInt(1, 255)}`;

/** The code of the newest verification email to `email`. */
export async function codeFor(email: string): Promise<string> {
  const mails = (await emailsTo(email)).filter((m) => /code/i.test(m.subject));
  const code = /(\d{6})$/.exec(mails.at(-1)?.subject ?? '')?.[1];
  if (code === undefined) throw new Error(`No code was emailed to ${email}`);
  return code;
}

export async function submittedRequest(
  orgId: string,
  type = 'access',
): Promise<{ requestId: string; code: string; email: string }> {
  const email = `subject.${randomUUID().slice(0, 8)}@example.test`;
  const answer = await callRoute({
    route: requestRoutes.submitRequest,
    params: { orgId },
    body: { type, email },
    sourceIp: freshSourceIp(),
  });
  if (answer.status !== 202) throw new Error(`request intake: ${answer.status} ${answer.text}`);
  return { requestId: answer.body.requestId as string, code: await codeFor(email), email };
}

/** An open (verified) request's id. */
export async function verifiedRequest(orgId: string, type = 'access'): Promise<string> {
  const { requestId, code } = await submittedRequest(orgId, type);
  const answer = await callRoute({
    route: requestRoutes.verifyRequest,
    params: { requestId },
    body: { code },
    sourceIp: freshSourceIp(),
  });
  if (answer.status !== 200) throw new Error(`request verification: ${answer.status} ${answer.text}`);
  return requestId;
}
