/**
 * Marketplace extensions: the catalog with the organization's consent state, consent (versioned,
 * history kept), withdrawal (as easy as giving it: one call, which also deletes the token) and the
 * vendor's token, sealed with the organization's key under the extension's own context, and the
 * consent's webhook signing secret (returned once, sealed the same way).
 * Sharing a job with an extension is extensions-share.ts.
 */
import { cryptoOf, authorize, auditEntry, resolveScope, type OrgScope } from './org-access.ts';
import { canSeeOrchestration } from '../domain/authorization.ts';
import type { OrgCrypto } from '../domain/org-crypto.ts';
import { credentialProblem } from '../domain/credential-guard.ts';
import { NotFoundError, ValidationError, type FieldIssue } from '../domain/errors.ts';
import type { RequestContext } from '../domain/principal.ts';
import { parseWebhookUrl, WebhookTargetRefused } from '../domain/ssrf-guard.ts';
import { newSigningSecret } from '../domain/webhook-signature.ts';
import { findExtension, type ExtensionDefinition } from '../extensions/catalog.ts';
import type { Clock } from '../ports/clock.ts';
import type {
  Consent,
  ConsentField,
  ExtensionConnection,
  ExtensionStore,
  Withdrawal,
} from '../ports/extensions.ts';
import type { Keys } from '../ports/keys.ts';
import type { OrchestrationRecord, OrchestrationStore } from '../ports/orchestrations.ts';
import type { OrganizationStore } from '../ports/organizations.ts';

/** The OrgCrypto purpose of vendor tokens: a token can never be opened as a job field, nor the reverse. */
export const EXTENSION_TOKEN_PURPOSE = 'extension-token';
/** The field id of the token within its record (the extension id). */
export const EXTENSION_TOKEN_FIELD = 'token';
/** The OrgCrypto purpose and field of webhook signing secrets: never opened as a token or a job field. */
const SIGNING_SECRET_PURPOSE = 'extension-signing-secret';
const SIGNING_SECRET_FIELD = 'signing-secret';

export const openSigningSecret = (crypto: OrgCrypto, extensionId: string, sealed: string): Promise<string> =>
  crypto.open(extensionId, SIGNING_SECRET_FIELD, sealed, SIGNING_SECRET_PURPOSE);

export interface ExtensionDeps {
  readonly orgs: OrganizationStore;
  readonly orchestrations: OrchestrationStore;
  readonly extensions: ExtensionStore;
  readonly keys: Keys;
  readonly clock: Clock;
  readonly catalog: readonly ExtensionDefinition[];
}

export interface ConsentView extends Consent {
  readonly extensionId: string;
}

/** The consent just given, with its webhook signing secret: shown in this answer only, never again. */
export interface GrantedConsentView extends ConsentView {
  readonly signingSecret: string;
}

export interface ExtensionView {
  readonly extensionId: string;
  readonly name: string;
  readonly vendor: string;
  readonly description: string;
  readonly dataCategories: readonly string[];
  readonly webhook:
    | { readonly kind: 'fixed'; readonly url: string }
    | { readonly kind: 'per-organization'; readonly example: string };
  /** The consent in force, or null. */
  readonly consent: ConsentView | null;
  /** Whether a vendor token is stored; the token itself is never returned. */
  readonly tokenStored: boolean;
  readonly tokenSetAt: string | null;
}

export interface ConsentInput {
  readonly fields: readonly { readonly orchestrationId: string; readonly fieldId: string }[];
  readonly purpose: string;
  readonly webhookUrl?: string | undefined;
}

export function extensionOf(deps: Pick<ExtensionDeps, 'catalog'>, extensionId: string): ExtensionDefinition {
  const extension = findExtension(deps.catalog, extensionId);
  if (extension === undefined) throw new NotFoundError('extension');
  return extension;
}

function consentView(
  extensionId: string,
  consent: Consent,
  visible?: (field: ConsentField) => boolean,
): ConsentView {
  return {
    extensionId,
    ...consent,
    fields: visible === undefined ? consent.fields : consent.fields.filter(visible),
  };
}

function webhookView(extension: ExtensionDefinition): ExtensionView['webhook'] {
  return extension.webhook.kind === 'fixed'
    ? { kind: 'fixed', url: extension.webhook.url }
    : { kind: 'per-organization', example: extension.webhook.example };
}

/** The catalog and, for each extension, the organization's consent (fields of orchestrations the caller cannot see are left out). */
export async function listExtensions(
  deps: ExtensionDeps,
  ctx: RequestContext,
  orgId: string,
): Promise<ExtensionView[]> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'extensions.read');
  const [connections, orchestrations] = await Promise.all([
    deps.extensions.list(orgId),
    deps.orchestrations.list(orgId),
  ]);
  const visible = new Set(
    orchestrations.filter((o) => canSeeOrchestration(scope.actor, o)).map((o) => o.orchestrationId),
  );
  const byId = new Map(connections.map((c) => [c.extensionId, c]));
  return deps.catalog.map((extension) => {
    const connection = byId.get(extension.id);
    return {
      extensionId: extension.id,
      name: extension.name,
      vendor: extension.vendor,
      description: extension.description,
      dataCategories: extension.dataCategories,
      webhook: webhookView(extension),
      consent:
        connection?.consent === undefined
          ? null
          : consentView(extension.id, connection.consent, (f) => visible.has(f.orchestrationId)),
      tokenStored: connection?.sealedToken !== undefined,
      tokenSetAt: connection?.sealedToken === undefined ? null : (connection.tokenSetAt ?? null),
    };
  });
}

/** The webhook URL the consent names: required and pattern-checked for per-organization webhooks, refused for fixed ones. */
function consentedWebhookUrl(
  extension: ExtensionDefinition,
  webhookUrl: string | undefined,
): string | undefined {
  const issue = (message: string): never => {
    throw new ValidationError('The webhook URL does not fit this extension', [
      { path: 'body.webhookUrl', message },
    ]);
  };
  if (extension.webhook.kind === 'fixed') {
    if (webhookUrl !== undefined) issue('This extension has a fixed webhook; leave webhookUrl out');
    return undefined;
  }
  if (webhookUrl === undefined)
    return issue(`This extension needs your webhook URL, like ${extension.webhook.example}`);
  try {
    parseWebhookUrl(webhookUrl);
  } catch (error) {
    if (error instanceof WebhookTargetRefused) issue(`Not allowed: ${error.reason}`);
    throw error;
  }
  if (!extension.webhook.pattern.test(webhookUrl)) issue(`Must look like ${extension.webhook.example}`);
  return webhookUrl;
}

/**
 * The consented fields, checked: each exists in an orchestration the caller can see, is named
 * once, and has a type within the extension's data categories. 400 naming every failing entry.
 */
async function consentFields(
  deps: ExtensionDeps,
  scope: OrgScope,
  extension: ExtensionDefinition,
  requested: ConsentInput['fields'],
): Promise<ConsentField[]> {
  const orchestrationIds = [...new Set(requested.map((f) => f.orchestrationId))];
  const loaded = await Promise.all(
    orchestrationIds.map((id) => deps.orchestrations.get(scope.org.orgId, id)),
  );
  const orchestrations = new Map<string, OrchestrationRecord>();
  for (const orchestration of loaded) {
    if (orchestration !== undefined && canSeeOrchestration(scope.actor, orchestration))
      orchestrations.set(orchestration.orchestrationId, orchestration);
  }
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  const fields: ConsentField[] = [];
  requested.forEach(({ orchestrationId, fieldId }, index) => {
    const path = `body.fields.${index}`;
    const key = `${orchestrationId}/${fieldId}`;
    const field = orchestrations.get(orchestrationId)?.fields.find((f) => f.id === fieldId);
    if (seen.has(key)) issues.push({ path, message: 'The field is named twice' });
    else if (!orchestrations.has(orchestrationId)) issues.push({ path, message: 'No such orchestration' });
    else if (field === undefined) issues.push({ path, message: 'No such field in this orchestration' });
    else if (!extension.dataCategories.includes(field.type))
      issues.push({
        path,
        message: `This extension cannot use ${field.type} fields (it uses ${extension.dataCategories.join(', ')})`,
      });
    else fields.push({ orchestrationId, fieldId, personal: field.personal });
    seen.add(key);
  });
  if (issues.length > 0)
    throw new ValidationError('Some fields cannot be consented to for this extension', issues);
  return fields;
}

/**
 * Gives a new consent version. Each consent carries a fresh webhook signing secret, returned here
 * once and stored sealed: a new consent rotates it (the previous one stops being used at once).
 */
export async function grantConsent(
  deps: ExtensionDeps,
  ctx: RequestContext,
  orgId: string,
  extensionId: string,
  input: ConsentInput,
): Promise<GrantedConsentView> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'extensions.manage');
  const extension = extensionOf(deps, extensionId);
  const webhookUrl = consentedWebhookUrl(extension, input.webhookUrl);
  const fields = await consentFields(deps, scope, extension, input.fields);
  const connection = await deps.extensions.get(orgId, extensionId);
  const consent: Consent = {
    version: (connection?.version ?? 0) + 1,
    fields,
    purpose: input.purpose,
    ...(webhookUrl === undefined ? {} : { webhookUrl }),
    grantedBy: ctx.principal.userId,
    grantedAt: deps.clock.now().toISOString(),
  };
  const signingSecret = newSigningSecret();
  const sealedSigningSecret = await cryptoOf(deps, scope).seal(
    extensionId,
    SIGNING_SECRET_FIELD,
    signingSecret,
    SIGNING_SECRET_PURPOSE,
  );
  await deps.extensions.grant(
    orgId,
    extensionId,
    consent,
    sealedSigningSecret,
    auditEntry(ctx, {
      orgId,
      action: 'extension.consent',
      resource: { type: 'extension', id: extensionId },
      changes: { fields: fields.map((f) => `${f.orchestrationId}/${f.fieldId}`) },
      detail: { version: consent.version, personalFields: fields.filter((f) => f.personal).length },
    }),
  );
  return { ...consentView(extensionId, consent), signingSecret };
}

/** Seals and stores the vendor's token; refused (400) when it looks like a credential (credential-guard.ts). */
export async function setExtensionToken(
  deps: ExtensionDeps,
  ctx: RequestContext,
  orgId: string,
  extensionId: string,
  input: { readonly token: string },
): Promise<void> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'extensions.manage');
  extensionOf(deps, extensionId);
  const problem = credentialProblem(input.token);
  if (problem !== undefined)
    throw new ValidationError('This does not look like a token issued by the vendor', [
      { path: 'body.token', message: problem },
    ]);
  const sealed = await cryptoOf(deps, scope).seal(
    extensionId,
    EXTENSION_TOKEN_FIELD,
    input.token,
    EXTENSION_TOKEN_PURPOSE,
  );
  const at = deps.clock.now().toISOString();
  await deps.extensions.setToken(
    orgId,
    extensionId,
    sealed,
    at,
    ctx.principal.userId,
    auditEntry(ctx, {
      orgId,
      action: 'extension.token_set',
      resource: { type: 'extension', id: extensionId },
      changes: { fields: [EXTENSION_TOKEN_FIELD] },
    }),
  );
}

export interface WithdrawalView extends Withdrawal {
  readonly extensionId: string;
  readonly tokenDeleted: boolean;
}

/** Withdraws the consent and deletes the token, in one transaction with its audit event. 404 when there is neither. */
export async function revokeExtension(
  deps: ExtensionDeps,
  ctx: RequestContext,
  orgId: string,
  extensionId: string,
): Promise<WithdrawalView> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'extensions.manage');
  extensionOf(deps, extensionId);
  const connection: ExtensionConnection | undefined = await deps.extensions.get(orgId, extensionId);
  if (connection === undefined || (connection.consent === undefined && connection.sealedToken === undefined))
    throw new NotFoundError('consent or token of this extension');
  const withdrawal: Withdrawal = {
    version: connection.version + 1,
    withdrawnBy: ctx.principal.userId,
    withdrawnAt: deps.clock.now().toISOString(),
  };
  const tokenDeleted = connection.sealedToken !== undefined;
  await deps.extensions.revoke(
    orgId,
    extensionId,
    withdrawal,
    auditEntry(ctx, {
      orgId,
      action: 'extension.revoke',
      resource: { type: 'extension', id: extensionId },
      changes: {
        fields: [
          ...(connection.consent?.fields ?? []).map((f) => `${f.orchestrationId}/${f.fieldId}`),
          ...(tokenDeleted ? [EXTENSION_TOKEN_FIELD] : []),
        ],
      },
      detail: { version: withdrawal.version, tokenDeleted },
    }),
  );
  return { extensionId, ...withdrawal, tokenDeleted };
}
