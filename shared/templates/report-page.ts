/**
 * The page of a data subject request's emailed report link. It discloses nothing by itself — no
 * organization, no name, no kind of request — until a one-time code sent to the verified address
 * is entered: first a button that has the code emailed, then the code form. No JavaScript; the
 * forms post the token in a hidden field to the path without query string, so the token is not
 * repeated in the POST's URL, and no-referrer keeps it out of the S3 request after the 303. The
 * page's frame and headers are the backup page's (page-layout.ts): strict CSP, no cache, no framing.
 */
import { SafeHtml, html } from './html.ts';
import { pageDocument } from './page-layout.ts';

export type ReportPageState =
  | { readonly kind: 'ask' }
  | { readonly kind: 'code-sent' }
  | { readonly kind: 'wrong-code'; readonly triesLeft: number }
  | { readonly kind: 'locked' }
  | { readonly kind: 'expired' }
  | { readonly kind: 'invalid' };

export interface ReportPageInput {
  readonly state: ReportPageState;
  /** Where the forms post: the page's own path, `/v1/requests/<id>/report`. */
  readonly action: string;
  readonly token: string;
}

/** API.md: a wrong code is the page again with 400; 423 locked, 410 expired, 404 unknown. */
export const REPORT_PAGE_STATUS: Readonly<Record<ReportPageState['kind'], number>> = {
  ask: 200,
  'code-sent': 200,
  'wrong-code': 400,
  locked: 423,
  expired: 410,
  invalid: 404,
};

function sendCodeForm(input: ReportPageInput, label: string): SafeHtml {
  return html`<form method="post" action="${input.action}">
<input type="hidden" name="token" value="${input.token}">
<button type="submit">${label}</button>
</form>`;
}

function codeForm(input: ReportPageInput, error: SafeHtml | undefined): SafeHtml {
  const describedBy = error === undefined ? 'code-hint' : 'code-error code-hint';
  return html`<form method="post" action="${input.action}">
<input type="hidden" name="token" value="${input.token}">
<label for="code">Code</label>
${error}
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required aria-describedby="${describedBy}"${error === undefined ? '' : html` aria-invalid="true"`} autofocus>
<p class="muted" id="code-hint">The 6-digit code we just emailed to you. It is valid for 10 minutes and works once.</p>
<button type="submit">Download my report</button>
</form>`;
}

function content(input: ReportPageInput): { title: string; body: SafeHtml } {
  const { state } = input;
  switch (state.kind) {
    case 'ask':
      return {
        title: 'Your report',
        body: html`<p>To open your report, we email a one-time code to the address the request was made from.</p>${sendCodeForm(input, 'Email me a code')}`,
      };
    case 'code-sent':
      return {
        title: 'Enter your code',
        body: html`${codeForm(input, undefined)}<p class="muted">No email? Check your spam folder, or have a new code sent:</p>${sendCodeForm(input, 'Send a new code')}`,
      };
    case 'wrong-code': {
      const tries = state.triesLeft === 1 ? '1 try left' : `${state.triesLeft} tries left`;
      const error = html`<p class="error" id="code-error" role="alert">Wrong or expired code. ${tries} before the link is locked.</p>`;
      return {
        title: 'Enter your code',
        body: html`${codeForm(input, error)}<p class="muted">Need a new code?</p>${sendCodeForm(input, 'Send a new code')}`,
      };
    }
    case 'locked':
      return {
        title: 'This link is locked',
        body: html`<p role="alert">Too many wrong codes were entered, or too many codes were asked for. The link no longer works.</p><p>Contact the organization you made the request to if you still need your data.</p>`,
      };
    case 'expired':
      return {
        title: 'This link has expired',
        body: html`<p>The report was available for 7 days and has been deleted. Contact the organization you made the request to if you still need your data.</p>`,
      };
    case 'invalid':
      return {
        title: 'This link is not valid',
        body: html`<p>Check that you copied the whole link from the email.</p>`,
      };
  }
}

export function reportPage(input: ReportPageInput): string {
  const { title, body } = content(input);
  return pageDocument(title, body, 'Custos · the report is deleted when the link expires.');
}
