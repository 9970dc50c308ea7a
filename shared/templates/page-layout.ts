/**
 * The frame of the pages we serve (the backup download page, the report page of a data subject
 * request): the HTML document around a page's title and body, and the headers every answer of
 * such a page carries — the strict CSP of page-style.ts, no referrer, no cache, no framing.
 */
import { SafeHtml, html } from './html.ts';
import { PAGE_CSS, pageCsp } from './page-style.ts';

/** The whole document: the title, the page's body, then a muted line saying what happens to the file. */
export function pageDocument(title: string, body: SafeHtml, footer: string): string {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${title} · Custos</title>
<style>${new SafeHtml(PAGE_CSS)}</style>
</head>
<body>
<main>
<h1>${title}</h1>
${body}
<p class="muted">${footer}</p>
</main>
</body>
</html>`.value;
}

/** Headers to serve a page with; pass the presigned URLs' origin so the 303 is allowed. */
export function pageHeaders(downloadOrigins?: readonly string[]): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': pageCsp(downloadOrigins),
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  };
}

/**
 * The same headers as a handler's result carries them: in the lower case the spine uses, so none
 * is sent twice, and without the content type the result states itself.
 */
export function pageResultHeaders(downloadOrigin: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(
    pageHeaders(downloadOrigin === undefined ? undefined : [downloadOrigin]),
  )) {
    if (name.toLowerCase() !== 'content-type') headers[name.toLowerCase()] = value;
  }
  return headers;
}
