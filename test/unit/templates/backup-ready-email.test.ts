import { backupReadyEmail } from '../../../shared/templates/backup-ready-email.ts';

const link = 'https://api.custos.example/v1/backups/01JABCDEF/download?token=abc_DEF-123';
const expiresAt = new Date('2026-12-08T14:05:00Z');

describe('backupReadyEmail', () => {
  test('carries the organization, the link and the expiry (ISO and human) in text and HTML', () => {
    // Act
    const email = backupReadyEmail({ organizationName: 'Acme Ltd', link, expiresAt });

    // Assess
    expect(email.subject).toBe('Your backup of Acme Ltd is ready');
    for (const body of [email.text, email.html]) {
      expect(body).toContain('Acme Ltd');
      expect(body).toContain('Tuesday, 8 December 2026 at 14:05 UTC');
      expect(body).toContain('2026-12-08T14:05:00Z');
      expect(body).toContain('Did not ask for this backup?');
    }
    expect(email.text).toContain(link);
    expect(email.html).toContain(`href="${link}"`);
    expect(email.html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
  });

  test('escapes the organization name in the HTML and keeps it on one line in the subject', () => {
    // Act
    const email = backupReadyEmail({
      organizationName: '<script>alert("x")</script>\r\nBcc: evil@example.com',
      link,
      expiresAt,
    });

    // Assess
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(email.subject).not.toMatch(/[\r\n]/);
  });

  test('escapes the link in attributes and refuses non-web links', () => {
    const tricky = backupReadyEmail({
      organizationName: 'Acme',
      link: 'https://x.example/d?token=a"><b>&c=1',
      expiresAt,
    });
    expect(tricky.html).not.toContain('"><b>');
    expect(() =>
      backupReadyEmail({ organizationName: 'Acme', link: 'javascript:alert(1)', expiresAt }),
    ).toThrow('http(s)');
  });
});
