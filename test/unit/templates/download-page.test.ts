import { createHash } from 'node:crypto';
import {
  DOWNLOAD_PAGE_STATUS,
  downloadPage,
  type DownloadPageState,
} from '../../../shared/templates/download-page.ts';
import { pageHeaders } from '../../../shared/templates/page-layout.ts';

const base = {
  action: '/v1/backups/01JBACKUP/download',
  token: 'tok_EN-123',
  organizationName: 'Acme Ltd',
  expiresAt: new Date('2026-12-08T14:05:00Z'),
};

describe('downloadPage', () => {
  test('asks for the password with a labelled field and posts the hidden token to the path without query', () => {
    // Act
    const page = downloadPage({ ...base, state: { kind: 'ask' } });

    // Assess
    expect(page).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(page).toContain('<form method="post" action="/v1/backups/01JBACKUP/download">');
    expect(page).toContain('<input type="hidden" name="token" value="tok_EN-123">');
    expect(page).toContain('<label for="password">');
    expect(page).toMatch(
      /<input type="password" id="password" name="password" autocomplete="current-password" required/,
    );
    expect(page).toContain('<button type="submit">');
    expect(page).toContain('Acme Ltd');
    expect(page).toContain(
      '<time datetime="2026-12-08T14:05:00Z">Tuesday, 8 December 2026 at 14:05 UTC</time>',
    );
    expect(page).not.toMatch(/<script|\son[a-z]+=|style="/i);
  });

  test('says how many tries are left after a wrong password, announced to screen readers', () => {
    const page = downloadPage({ ...base, state: { kind: 'wrong-password', triesLeft: 2 } });
    expect(page).toContain('role="alert">Wrong password. 2 tries left before the link is locked.');
    expect(page).toContain('aria-invalid="true"');
    expect(page).toContain('aria-describedby="password-error password-hint"');
  });

  test.each<[DownloadPageState, string, number]>([
    [{ kind: 'locked' }, 'This download link is locked', 423],
    [{ kind: 'expired' }, 'This download link has expired', 410],
    [{ kind: 'revoked' }, 'This download link is no longer valid', 410],
    [{ kind: 'invalid' }, 'This download link is not valid', 404],
  ])('shows no form when the link is %j', (state, heading, status) => {
    const page = downloadPage({ ...base, state });
    expect(page).toContain(`<h1>${heading}</h1>`);
    expect(page).not.toContain('<form');
    expect(page).not.toContain(base.token);
    expect(DOWNLOAD_PAGE_STATUS[state.kind]).toBe(status);
  });

  test('escapes the organization name and the token', () => {
    const page = downloadPage({
      ...base,
      organizationName: '<script>alert(1)</script>',
      token: '"><img src=x>',
      state: { kind: 'ask' },
    });
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('value="&quot;&gt;&lt;img src=x&gt;"');
  });

  test('serves a CSP that admits exactly its stylesheet by hash, no script, no referrer, no caching', () => {
    // Prepare
    const page = downloadPage({ ...base, state: { kind: 'ask' } });
    const css = /<style>([^<]*)<\/style>/.exec(page)?.[1] ?? '';

    // Act
    const headers = pageHeaders(['https://files.s3.eu-west-1.amazonaws.com']);

    // Assess
    const hash = createHash('sha256').update(css, 'utf8').digest('base64');
    expect(headers['Content-Security-Policy']).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' https://files.s3.eu-west-1.amazonaws.com`,
    );
    expect(headers['Referrer-Policy']).toBe('no-referrer');
    expect(headers['Cache-Control']).toBe('no-store');
    expect(pageHeaders()['Content-Security-Policy']).not.toContain('form-action');
  });
});
