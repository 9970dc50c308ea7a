/**
 * The email that tells an owner their backup is ready: the organization, the link (to our
 * download page, never to S3), when it expires, and what to do if they did not ask for it.
 * Text and HTML say the same thing; the HTML uses inline styles because mail clients drop <style>.
 */
import { humanDate, isoDate } from './dates.ts';
import { emailHtml, oneLine, PARAGRAPH_STYLE, type EmailContent } from './email-layout.ts';
import { assertWebUrl, html } from './html.ts';

export interface BackupReadyEmailInput {
  readonly organizationName: string;
  /** The download page link, token included. */
  readonly link: string;
  readonly expiresAt: Date;
}

export function backupReadyEmail(input: BackupReadyEmailInput): EmailContent {
  const link = assertWebUrl(input.link);
  const organization = oneLine(input.organizationName, 200);
  const expiresHuman = humanDate(input.expiresAt);
  const expiresIso = isoDate(input.expiresAt);
  const subject = `Your backup of ${oneLine(input.organizationName)} is ready`;

  const text = [
    `Your backup of ${organization} is ready.`,
    '',
    'Download it here (you will be asked for the password you chose when you requested it):',
    link,
    '',
    `The link expires on ${expiresHuman} (${expiresIso}). After that the backup is deleted.`,
    'The file is a ZIP encrypted with AES-256: open it with 7-Zip, WinZip, The Unarchiver or',
    'another tool that supports AES-encrypted ZIP files, using the same password.',
    'We do not store your password and cannot recover it.',
    '',
    'Did not ask for this backup? Do not open the link. Tell the other owners of',
    `${organization} and review its audit log: someone with owner access requested it.`,
    '',
    '— Custos',
  ].join('\n');

  const content = html`<p style="${PARAGRAPH_STYLE}">You will be asked for the password you chose when you requested it.</p>
<p style="${PARAGRAPH_STYLE}"><a href="${link}" style="display:inline-block;padding:12px 20px;background:#1d4ed8;color:#ffffff;font-weight:bold;text-decoration:none;border-radius:4px">Download the backup</a></p>
<p style="${PARAGRAPH_STYLE}">Or copy this link into your browser:<br><a href="${link}" style="color:#1d4ed8;word-break:break-all">${link}</a></p>
<p style="${PARAGRAPH_STYLE}">The link expires on <time datetime="${expiresIso}">${expiresHuman}</time>. After that the backup is deleted.</p>
<p style="${PARAGRAPH_STYLE}">The file is a ZIP encrypted with AES-256: open it with 7-Zip, WinZip, The Unarchiver or another tool that supports AES-encrypted ZIP files, using the same password. We do not store your password and cannot recover it.</p>
<p style="${PARAGRAPH_STYLE};padding:12px;background:#fff4e5;border-left:4px solid #8a4b00"><strong>Did not ask for this backup?</strong> Do not open the link. Tell the other owners of ${organization} and review its audit log: someone with owner access requested it.</p>`;

  return { subject, text, html: emailHtml(subject, `Your backup of ${organization} is ready`, content) };
}
