/**
 * The emails a data subject receives about their request: the one-time code, the extension of
 * the deadline and its reason (Art. 12(3)), and a rejection with the reason and the right to
 * complain to a supervisory authority (Art. 12(4)). Plain paragraphs in text and HTML alike; the
 * HTML uses inline styles because mail clients drop <style>.
 */
import { humanDate, isoDate } from './dates.ts';
import { emailHtml, oneLine, PARAGRAPH_STYLE, type EmailContent } from './email-layout.ts';
import { html } from './html.ts';
import type { RequestType } from '../domain/subject-request.ts';

const TYPE_NAMES: Readonly<Record<RequestType, string>> = {
  access: 'access to your personal data',
  rectification: 'rectification of your personal data',
  erasure: 'erasure of your personal data',
  restriction: 'restriction of the processing of your personal data',
  portability: 'a copy of your personal data (portability)',
  objection: 'objection to the processing of your personal data',
};

function email(subject: string, heading: string, paragraphs: readonly string[]): EmailContent {
  const text = [heading, '', ...paragraphs.flatMap((p) => [p, '']), '— Custos'].join('\n');
  const content = html`${paragraphs.map((p) => html`<p style="${PARAGRAPH_STYLE}">${p}</p>`)}`;
  return { subject, text, html: emailHtml(subject, heading, content) };
}

export function verificationCodeEmail(input: {
  readonly organizationName: string;
  readonly type: RequestType;
  readonly code: string;
  readonly validMinutes: number;
}): EmailContent {
  const organization = oneLine(input.organizationName, 200);
  return email(
    `Your code for your request to ${oneLine(input.organizationName)}: ${input.code}`,
    `Confirm your request to ${organization}`,
    [
      `Someone asked ${organization} for ${TYPE_NAMES[input.type]}, giving this address. To confirm that it was you, enter this code:`,
      input.code,
      `The code is valid for ${input.validMinutes} minutes. Nothing is done until the request is confirmed; an unconfirmed request is deleted after 7 days.`,
      'Did not ask for this? Ignore this email.',
    ],
  );
}

export function extensionEmail(input: {
  readonly organizationName: string;
  readonly type: RequestType;
  readonly dueAt: Date;
  readonly reason: string;
}): EmailContent {
  const organization = oneLine(input.organizationName, 200);
  return email(
    `Your request to ${oneLine(input.organizationName)} needs more time`,
    `${organization} needs more time to answer your request`,
    [
      `Your request for ${TYPE_NAMES[input.type]} will be answered by ${humanDate(input.dueAt)} (${isoDate(input.dueAt)}).`,
      `The reason given: ${input.reason}`,
      'The General Data Protection Regulation (Art. 12(3)) allows this extension once, by at most two months, when a request is complex or requests are many.',
    ],
  );
}

export function rejectionEmail(input: {
  readonly organizationName: string;
  readonly type: RequestType;
  readonly reason: string;
}): EmailContent {
  const organization = oneLine(input.organizationName, 200);
  return email(
    `Your request to ${oneLine(input.organizationName)} was declined`,
    `${organization} declined your request`,
    [
      `Your request for ${TYPE_NAMES[input.type]} was declined. The reason given: ${input.reason}`,
      'You have the right to lodge a complaint with a supervisory authority, in particular in the Member State of your habitual residence, place of work or place of the alleged infringement, and to seek a judicial remedy (GDPR Art. 12(4), 77 and 79).',
    ],
  );
}

/** To the assignee (or the owners): a request's deadline is near. Names the request, never the person. */
export function deadlineReminderEmail(input: {
  readonly organizationName: string;
  readonly requestId: string;
  readonly type: RequestType;
  readonly dueAt: Date;
  readonly within: 'week' | 'day';
}): EmailContent {
  const organization = oneLine(input.organizationName, 200);
  const when = input.within === 'day' ? 'within a day' : 'within a week';
  return email(
    `A data subject request to ${oneLine(input.organizationName)} is due ${when}`,
    `A data subject request is due ${when}`,
    [
      `Request ${input.requestId} to ${organization} (${TYPE_NAMES[input.type]}) must be answered by ${humanDate(input.dueAt)} (${isoDate(input.dueAt)}).`,
      'Fulfil it, reject it with the reason, or extend the deadline once (by at most two months, with the reason) before then: GDPR Art. 12(3).',
    ],
  );
}

/** To the subject: their report is ready behind a 7-day link, which asks for a code sent each time. */
export function reportReadyEmail(input: {
  readonly organizationName: string;
  readonly type: RequestType;
  readonly link: string;
  readonly expiresAt: Date;
}): EmailContent {
  const organization = oneLine(input.organizationName, 200);
  return email(
    `Your personal data from ${oneLine(input.organizationName)} is ready`,
    `${organization} answered your request`,
    [
      `Your request for ${TYPE_NAMES[input.type]} has been answered. Your report (a ZIP file of JSON${input.type === 'portability' ? ' and CSV' : ''}) can be downloaded from this link until ${humanDate(input.expiresAt)} (${isoDate(input.expiresAt)}):`,
      input.link,
      'To protect your data, the page sends a one-time code to this address each time you open the report. Do not forward this email.',
    ],
  );
}

/** To the subject: the one-time code the report page asked for. */
export function reportCodeEmail(input: {
  readonly organizationName: string;
  readonly code: string;
  readonly validMinutes: number;
}): EmailContent {
  const organization = oneLine(input.organizationName, 200);
  return email(
    `Your code to open your report from ${oneLine(input.organizationName)}: ${input.code}`,
    `Your code to open your report from ${organization}`,
    [
      'Enter this code on the page where you asked for it:',
      input.code,
      `The code is valid for ${input.validMinutes} minutes and works once. Did not ask for it? Ignore this email: without the code the report does not open.`,
    ],
  );
}
