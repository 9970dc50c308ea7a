/**
 * The marketplace catalog: the extensions an organization may connect, as configuration in the
 * repository (a change to a vendor's endpoint or data categories is a reviewed commit, not data).
 *
 * Each extension names its vendor, the field types it may receive (`dataCategories`: consent is
 * refused for any other field) and where its webhook lives. Vendors that give every customer an
 * endpoint of their own (`https://<account>.hooks.vendor/...`) are described by a pattern the
 * organization's URL must match at consent time; vendors with one endpoint for everyone by a fixed
 * URL. The URL is checked against the pattern again at every share, and the SSRF guard applies
 * to every target whatever the catalog says.
 */
import type { FieldType } from '../domain/orchestration.ts';

export type WebhookTarget =
  /** One endpoint for every customer. */
  | { readonly kind: 'fixed'; readonly url: string }
  /** The organization gives its own endpoint at consent time; it must match `pattern` (anchored, https). */
  | { readonly kind: 'per-organization'; readonly pattern: RegExp; readonly example: string };

export interface ExtensionDefinition {
  /** Stable slug: the path segment of the extension's routes and part of its token's sealing context. */
  readonly id: string;
  readonly name: string;
  readonly vendor: string;
  readonly description: string;
  readonly webhook: WebhookTarget;
  /** The field types this extension can use; consent to a field of another type is refused. */
  readonly dataCategories: readonly FieldType[];
}

export const EXTENSION_ID_PATTERN = /^[a-z][a-z0-9-]{1,62}$/;

/** Vendors live under the reserved `.example` domain: they are illustrations, not real companies. */
export const CATALOG: readonly ExtensionDefinition[] = [
  {
    id: 'acme-crm',
    name: 'Acme CRM sync',
    vendor: 'Acme CRM Ltd.',
    description: 'Creates or updates a contact in your Acme CRM account for a job.',
    webhook: {
      kind: 'per-organization',
      pattern: /^https:\/\/[a-z0-9][a-z0-9-]{0,62}\.hooks\.acme-crm\.example\/custos\/v1\/contacts$/,
      example: 'https://<your account>.hooks.acme-crm.example/custos/v1/contacts',
    },
    dataCategories: ['text', 'email', 'phone'],
  },
  {
    id: 'postbox-campaigns',
    name: 'Postbox campaigns',
    vendor: 'Postbox Mailing GmbH',
    description: 'Adds the job’s contact to a mailing campaign.',
    webhook: { kind: 'fixed', url: 'https://api.postbox-mailing.example/v2/custos/subscribers' },
    dataCategories: ['text', 'email'],
  },
  {
    id: 'custom-webhook',
    name: 'Your own webhook',
    vendor: 'Your organization',
    description:
      'Sends the consented fields of a job to an HTTPS endpoint you run. Private and internal addresses are refused.',
    webhook: {
      kind: 'per-organization',
      pattern: /^https:\/\/[^/?#@\s]+(\/[^?#\s]*)?$/,
      example: 'https://hooks.your-company.example/custos',
    },
    dataCategories: ['text', 'email', 'phone', 'number', 'date'],
  },
];

export function findExtension(
  catalog: readonly ExtensionDefinition[],
  extensionId: string,
): ExtensionDefinition | undefined {
  return catalog.find((extension) => extension.id === extensionId);
}

/** The webhook URL of a share: the fixed one, or the organization's if it (still) matches the pattern. */
export function webhookUrlFor(
  extension: ExtensionDefinition,
  organizationUrl: string | undefined,
): string | undefined {
  if (extension.webhook.kind === 'fixed') return extension.webhook.url;
  return organizationUrl !== undefined && extension.webhook.pattern.test(organizationUrl)
    ? organizationUrl
    : undefined;
}
