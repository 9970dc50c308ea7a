/**
 * What every email of the product shares: its parts, the one-line form of a name in a subject,
 * and the HTML frame — a heading, the body, the signature. The HTML uses inline styles because
 * mail clients drop <style>.
 */
import { html, type SafeHtml } from './html.ts';

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

/** The inline style of a body paragraph. */
export const PARAGRAPH_STYLE = 'margin:0 0 16px;font:16px/1.5 Arial,Helvetica,sans-serif;color:#1a1a1a';

/** The whole HTML document of an email: `subject` as its title, `heading`, then `content`, then the signature. */
export function emailHtml(subject: string, heading: string, content: SafeHtml): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${subject}</title>
</head>
<body style="margin:0;padding:24px;background:#f4f5f7">
<div role="article" aria-label="${subject}" style="max-width:560px;margin:0 auto;padding:24px;background:#ffffff;border:1px solid #d0d4da;border-radius:8px">
<h1 style="margin:0 0 16px;font:bold 22px/1.3 Arial,Helvetica,sans-serif;color:#1a1a1a">${heading}</h1>
${content}
<p style="margin:0;font:14px/1.5 Arial,Helvetica,sans-serif;color:#4a5058">— Custos</p>
</div>
</body>
</html>`.value;
}
