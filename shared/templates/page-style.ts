/**
 * The one stylesheet of the pages we serve (the backup download page, the report page of a data
 * subject request), and the Content-Security-Policy that allows exactly it: no script at all, no
 * third-party asset, the style admitted by its SHA-256 hash rather than 'unsafe-inline'. Colours
 * meet WCAG AA contrast (text 16:1, button 7:1, error 7:1 on white, text on the notice's amber 16:1).
 */
import { createHash } from 'node:crypto';

export const PAGE_CSS = [
  ':root{color-scheme:light}',
  'body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f4f5f7}',
  'main{max-width:32rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #d0d4da;border-radius:8px}',
  'h1{font-size:1.4rem;margin:0 0 1rem}',
  'p{margin:0 0 1rem}',
  'label{display:block;font-weight:600;margin-bottom:.25rem}',
  'input[type=password],input[type=text]{box-sizing:border-box;width:100%;padding:.6rem;font:inherit;border:1px solid #5f6670;border-radius:4px}',
  'button{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;font-weight:600;color:#fff;background:#1d4ed8;border:0;border-radius:4px;cursor:pointer}',
  'input:focus-visible,button:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}',
  '.error{color:#a4161a;font-weight:600}',
  '.muted{color:#4a5058;font-size:.9rem}',
  '.notice{margin-top:1.5rem;padding:.75rem;background:#fff4e5;border-left:4px solid #8a4b00}',
].join('');

export const PAGE_CSS_HASH = `'sha256-${createHash('sha256').update(PAGE_CSS, 'utf8').digest('base64')}'`;

/**
 * The page's CSP. `form-action` is listed only with the origins the form's answer may redirect
 * to: browsers check the redirect of a form submission against it too, so `'self'` alone would
 * block the 303 to the presigned S3 URL. Without origins the directive is left out.
 */
export function pageCsp(formActionOrigins?: readonly string[]): string {
  const directives = [
    "default-src 'none'",
    `style-src ${PAGE_CSS_HASH}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ];
  if (formActionOrigins !== undefined)
    directives.push(`form-action 'self' ${formActionOrigins.join(' ')}`.trim());
  return directives.join('; ');
}
