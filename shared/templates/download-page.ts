/**
 * The backup download page: a password form that works without JavaScript and states where the
 * link stands (ask, wrong password with tries left, locked, expired, revoked, invalid). The form posts the
 * token in a hidden field to the path without query string, so the token is not repeated in
 * the POST's URL; no-referrer keeps it out of the S3 request that follows the 303.
 */
import { humanDate, isoDate } from './dates.ts';
import { SafeHtml, html } from './html.ts';
import { pageDocument } from './page-layout.ts';

export type DownloadPageState =
  | { readonly kind: 'ask' }
  | { readonly kind: 'wrong-password'; readonly triesLeft: number }
  | { readonly kind: 'locked' }
  | { readonly kind: 'expired' }
  /** The owner who asked for the backup is no longer an owner of the organization. */
  | { readonly kind: 'revoked' }
  | { readonly kind: 'invalid' };

export interface DownloadPageInput {
  readonly state: DownloadPageState;
  /** Where the form posts: the page's own path, e.g. `/v1/backups/<id>/download`. */
  readonly action: string;
  readonly token: string;
  /** Absent for an invalid link: nothing about an unknown backup is shown. */
  readonly organizationName?: string;
  readonly expiresAt?: Date;
}

/** The status each state is served with (API.md: 401 wrong, 423 locked, 410 expired or revoked). */
export const DOWNLOAD_PAGE_STATUS: Readonly<Record<DownloadPageState['kind'], number>> = {
  ask: 200,
  'wrong-password': 401,
  locked: 423,
  expired: 410,
  revoked: 410,
  invalid: 404,
};

function expiry(input: DownloadPageInput, verb: string): SafeHtml | undefined {
  if (input.expiresAt === undefined) return undefined;
  return html`<p>${verb} <time datetime="${isoDate(input.expiresAt)}">${humanDate(input.expiresAt)}</time>.</p>`;
}

/** Someone who did not ask for the backup learns what to do before they type anything. */
function unexpectedNotice(organization: string): SafeHtml {
  return html`<p class="notice"><strong>Did not ask for this backup?</strong> Do not enter a password. Tell the other owners of ${organization} and review its audit log: someone with owner access requested it.</p>`;
}

function form(input: DownloadPageInput, error: SafeHtml | undefined): SafeHtml {
  const describedBy = error === undefined ? 'password-hint' : 'password-error password-hint';
  return html`<form method="post" action="${input.action}">
<input type="hidden" name="token" value="${input.token}">
<label for="password">Backup password</label>
${error}
<input type="password" id="password" name="password" autocomplete="current-password" required minlength="12" aria-describedby="${describedBy}"${error === undefined ? '' : html` aria-invalid="true"`} autofocus>
<p class="muted" id="password-hint">The password you chose when you requested the backup. We do not store it and cannot recover it.</p>
<button type="submit">Download the backup</button>
</form>`;
}

function content(input: DownloadPageInput): { title: string; body: SafeHtml } {
  const organization = input.organizationName ?? '';
  const { state } = input;
  switch (state.kind) {
    case 'ask':
      return {
        title: `Download the backup of ${organization}`,
        body: html`${expiry(input, 'This link expires on')}${form(input, undefined)}${unexpectedNotice(organization)}`,
      };
    case 'wrong-password': {
      const tries = state.triesLeft === 1 ? '1 try left' : `${state.triesLeft} tries left`;
      const error = html`<p class="error" id="password-error" role="alert">Wrong password. ${tries} before the link is locked.</p>`;
      return {
        title: `Download the backup of ${organization}`,
        body: html`${expiry(input, 'This link expires on')}${form(input, error)}${unexpectedNotice(organization)}`,
      };
    }
    case 'locked':
      return {
        title: 'This download link is locked',
        body: html`<p role="alert">Too many wrong passwords were entered for the backup of ${organization}. The link no longer works.</p>
<p>If you still need the data, request a new backup; if you did not try these passwords, tell the other owners of ${organization} and review its audit log.</p>`,
      };
    case 'expired':
      return {
        title: 'This download link has expired',
        body: html`${expiry(input, 'The backup of ' + organization + ' expired on')}<p>The backup has been deleted. Request a new one if you still need it.</p>`,
      };
    case 'revoked':
      return {
        title: 'This download link is no longer valid',
        body: html`<p>The link works only while the owner who requested the backup is still an owner of the organization. An owner of it can request a new backup.</p>`,
      };
    case 'invalid':
      return {
        title: 'This download link is not valid',
        body: html`<p>Check that you copied the whole link from the email, or request a new backup.</p>`,
      };
  }
}

export function downloadPage(input: DownloadPageInput): string {
  const { title, body } = content(input);
  return pageDocument(
    title,
    body,
    'Custos · backups are encrypted with your password and deleted when the link expires.',
  );
}
