/** The catalog as configured: well-formed entries, https webhooks, and pattern checks of organization URLs. */
import {
  CATALOG,
  EXTENSION_ID_PATTERN,
  findExtension,
  webhookUrlFor,
} from '../../shared/extensions/catalog.ts';
import { FIELD_TYPES } from '../../shared/domain/orchestration.ts';
import { parseWebhookUrl } from '../../shared/domain/ssrf-guard.ts';

test.each(CATALOG.map((e) => [e.id, e] as const))('%s is well formed', (_id, extension) => {
  expect(extension.id).toMatch(EXTENSION_ID_PATTERN);
  expect(extension.dataCategories.length).toBeGreaterThan(0);
  for (const category of extension.dataCategories) expect(FIELD_TYPES).toContain(category);
  if (extension.webhook.kind === 'fixed') {
    expect(() =>
      parseWebhookUrl(extension.webhook.kind === 'fixed' ? extension.webhook.url : ''),
    ).not.toThrow();
  } else {
    expect(extension.webhook.pattern.source.startsWith('^https:\\/\\/')).toBe(true);
    expect(extension.webhook.pattern.source.endsWith('$')).toBe(true);
  }
});

test('ids are unique', () => {
  expect(new Set(CATALOG.map((e) => e.id)).size).toBe(CATALOG.length);
});

test.each([
  [
    'https://acme42.hooks.acme-crm.example/custos/v1/contacts',
    'https://acme42.hooks.acme-crm.example/custos/v1/contacts',
  ],
  ['http://acme42.hooks.acme-crm.example/custos/v1/contacts', undefined],
  ['https://acme42.hooks.acme-crm.example.evil.example/custos/v1/contacts', undefined],
  ['https://evil.example/?https://acme42.hooks.acme-crm.example/custos/v1/contacts', undefined],
  ['https://a.b.hooks.acme-crm.example/custos/v1/contacts', undefined],
  [undefined, undefined],
])('acme-crm accepts %s → %s', (url, expected) => {
  expect(webhookUrlFor(findExtension(CATALOG, 'acme-crm')!, url)).toBe(expected);
});

test('a fixed webhook ignores any organization URL', () => {
  const postbox = findExtension(CATALOG, 'postbox-campaigns')!;
  expect(webhookUrlFor(postbox, 'https://evil.example/')).toBe(
    'https://api.postbox-mailing.example/v2/custos/subscribers',
  );
});

test.each([
  'http://hooks.example/x',
  'https://user:pw@hooks.example/x',
  'https://hooks.example/x#frag',
  'https://hooks.example/a b',
])('custom-webhook refuses %s', (url) => {
  expect(webhookUrlFor(findExtension(CATALOG, 'custom-webhook')!, url)).toBeUndefined();
});
