/**
 * The email that tells an owner their backup is ready: the organization, the link (to our
 * download page, never to S3), when it expires, and what to do if they did not ask for it.
 * Text and HTML say the same thing; the HTML uses inline styles because mail clients drop <style>.
 */
import { humanDate, isoDate } from './dates.ts';
import { assertWebUrl, html } from './html.ts';

export interface BackupReadyEmailInput {
  readonly organizationName: string;
  /** The download page link, token included. */
  readonly link: string;
  readonly expiresAt: Date;
}

export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Names go into a subject line: no line breaks (header injection), bounded length. */
export function oneLine(text: string, max = 80): string {
  const flat = text.replace(/[\r\n\t\u0000-\u001F\u007F]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
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

  const paragraph = 'margin:0 0 16px;font:16px/1.5 Arial,Helvetica,sans-serif;color:#1a1a1a';
  const body = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${subject}</title>
</head>
<body style="margin:0;padding:24px;background:#f4f5f7">
<div role="article" aria-label="${subject}" style="max-width:560px;margin:0 auto;padding:24px;background:#ffffff;border:1px solid #d0d4da;border-radius:8px">
<h1 style="margin:0 0 16px;font:bold 22px/1.3 Arial,Helvetica,sans-serif;color:#1a1a1a">Your backup of ${organization} is ready</h1>
<p style="${paragraph}">You will be asked for the password you chose when you requested it.</p>
<p style="${paragraph}"><a href="${link}" style="display:inline-block;padding:12px 20px;background:#1d4ed8;color:#ffffff;font-weight:bold;text-decoration:none;border-radius:4px">Download the backup</a></p>
<p style="${paragraph}">Or copy this link into your browser:<br><a href="${link}" style="color:#1d4ed8;word-break:break-all">${link}</a></p>
<p style="${paragraph}">The link expires on <time datetime="${expiresIso}">${expiresHuman}</time>. After that the backup is deleted.</p>
<p style="${paragraph}">The file is a ZIP encrypted with AES-256: open it with 7-Zip, WinZip, The Unarchiver or another tool that supports AES-encrypted ZIP files, using the same password. We do not store your password and cannot recover it.</p>
<p style="${paragraph};padding:12px;background:#fff4e5;border-left:4px solid #8a4b00"><strong>Did not ask for this backup?</strong> Do not open the link. Tell the other owners of ${organization} and review its audit log: someone with owner access requested it.</p>
<p style="margin:0;font:14px/1.5 Arial,Helvetica,sans-serif;color:#4a5058">— Custos</p>
</div>
</body>
</html>`;

  return { subject, text, html: body.value };
}
