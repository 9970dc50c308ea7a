/**
 * Reading the audit log: the filtered, newest-first list behind `GET /audit`, and the export of a
 * time range as CSV (for people) or of the whole chain as JSON lines (for the offline verifier).
 * Reading the log discloses who did what: each read is itself an audit event.
 */
import { writeCsv, CSV_CONTENT_TYPE } from '../formats/csv.ts';
import type { Column, Row } from '../formats/columns.ts';
import type { Cursors, CursorScope } from '../domain/cursor.ts';
import { BadCursorError, ValidationError } from '../domain/errors.ts';
import type { RequestContext } from '../domain/principal.ts';
import type {
  AuditChainStore,
  AuditEvent,
  AuditLog,
  AuditResource,
  AuditChanges,
  ListedEvent,
} from '../ports/audit.ts';
import type { OrganizationStore } from '../ports/organizations.ts';
import { auditActorOf, authorize, resolveScope, successDraft } from './org-access.ts';

export interface AuditQueryDeps {
  readonly orgs: OrganizationStore;
  readonly audit: AuditLog & AuditChainStore;
  /** Seals the list's cursors: the log hands out positions, the client gets them sealed. */
  readonly cursors: Cursors;
}

export interface AuditEventView {
  readonly id: string;
  /** The event's position in the chain; null while the sequencer has not reached it (about a second). */
  readonly seq: number | null;
  readonly at: string;
  readonly actor: { readonly userId: string; readonly email: string | null };
  readonly action: string;
  readonly resource: AuditResource;
  readonly outcome: AuditEvent['outcome'];
  /** null once erased (pseudonymised). */
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly requestId: string;
  readonly changes?: AuditChanges;
  readonly detail?: AuditEvent['detail'];
}

export function auditEventView(event: ListedEvent): AuditEventView {
  return {
    id: event.eventId,
    seq: event.seq ?? null,
    at: event.at,
    actor: { userId: event.actor, email: event.actorEmail ?? null },
    action: event.action,
    resource: event.resource,
    outcome: event.outcome,
    ip: event.ip ?? null,
    userAgent: event.userAgent ?? null,
    requestId: event.requestId,
    ...(event.changes !== undefined ? { changes: event.changes } : {}),
    ...(event.detail !== undefined ? { detail: event.detail } : {}),
  };
}

export interface AuditFilters {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  readonly resource?: string | undefined;
}

/** ISO times in one form (UTC, milliseconds), so they compare as strings with stored times. */
function normalised(filters: AuditFilters): AuditFilters {
  const iso = (value: string | undefined): string | undefined =>
    value === undefined ? undefined : new Date(value).toISOString();
  const from = iso(filters.from);
  const to = iso(filters.to);
  if (from !== undefined && to !== undefined && from > to)
    throw new ValidationError('`from` is after `to`', [{ path: 'query.from', message: 'after to' }]);
  return { ...filters, from, to };
}

async function authorizeRead(deps: AuditQueryDeps, ctx: RequestContext, orgId: string): Promise<void> {
  const scope = await resolveScope(deps.orgs, ctx, orgId);
  authorize(scope.actor, 'audit.read');
}

export async function listAuditEvents(
  deps: AuditQueryDeps,
  ctx: RequestContext,
  orgId: string,
  input: AuditFilters & {
    readonly limit: number;
    readonly cursor?: string | undefined;
    /** The list as this caller sees it (the spine's `cursorScope`): another's cursor is a 400. */
    readonly scope: CursorScope;
  },
): Promise<{ items: AuditEventView[]; nextCursor: string | null }> {
  await authorizeRead(deps, ctx, orgId);
  const filters = normalised(input);
  const after =
    input.cursor === undefined ? undefined : positionOf(deps.cursors.open(input.scope, input.cursor));
  const page = await deps.audit.query({
    orgId,
    ...definedOnly(filters),
    limit: input.limit,
    ...(after !== undefined ? { after } : {}),
  });
  // Recorded before answering: if the read cannot be audited, nothing is disclosed.
  await deps.audit.append(
    successDraft({
      orgId,
      action: 'audit.read',
      resource: { type: 'audit', id: orgId },
      detail: { events: page.items.length },
    }),
    auditActorOf(ctx),
  );
  return {
    items: page.items.map(auditEventView),
    nextCursor: page.next === null ? null : deps.cursors.seal(input.scope, { position: page.next }),
  };
}

function positionOf(opened: Record<string, unknown>): string {
  if (typeof opened.position !== 'string') throw new BadCursorError();
  return opened.position;
}

/** A Lambda response carries at most 6 MB; exports stay well below it. */
export const MAX_EXPORT_BYTES = 5 * 1024 * 1024;

export interface AuditExport {
  readonly body: string;
  readonly contentType: string;
  readonly filename: string;
}

const CSV_COLUMNS: readonly Column[] = [
  { key: 'seq', label: 'seq', kind: 'number' },
  { key: 'at', label: 'at', kind: 'date' },
  { key: 'id', label: 'id', kind: 'text' },
  { key: 'actor', label: 'actor', kind: 'text' },
  { key: 'actorEmail', label: 'actor email', kind: 'text' },
  { key: 'action', label: 'action', kind: 'text' },
  { key: 'resourceType', label: 'resource type', kind: 'text' },
  { key: 'resourceId', label: 'resource id', kind: 'text' },
  { key: 'outcome', label: 'outcome', kind: 'text' },
  { key: 'ip', label: 'ip', kind: 'text' },
  { key: 'userAgent', label: 'user agent', kind: 'text' },
  { key: 'requestId', label: 'request id', kind: 'text' },
  { key: 'changedFields', label: 'changed fields', kind: 'text' },
];

function csvRow(event: ListedEvent): Row {
  return {
    seq: event.seq,
    at: event.at,
    id: event.eventId,
    actor: event.actor,
    actorEmail: event.actorEmail,
    action: event.action,
    resourceType: event.resource.type,
    resourceId: event.resource.id,
    outcome: event.outcome,
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
    changedFields: event.changes?.fields.join(' '),
  };
}

function tooLarge(): ValidationError {
  return new ValidationError('The export is larger than one response allows; narrow the time range', [
    { path: 'query', message: 'too many events' },
  ]);
}

/** The range's events, newest first, page by page through the same query as the list. */
async function* eventsInRange(
  audit: AuditLog,
  orgId: string,
  filters: AuditFilters,
): AsyncGenerator<ListedEvent> {
  let after: string | undefined;
  do {
    const page = await audit.query({
      orgId,
      ...definedOnly(filters),
      limit: 100,
      ...(after !== undefined ? { after } : {}),
    });
    yield* page.items;
    after = page.next ?? undefined;
  } while (after !== undefined);
}

async function collect(chunks: AsyncIterable<Buffer | string>): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > MAX_EXPORT_BYTES) throw tooLarge();
    parts.push(bytes);
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The whole chain as JSON lines, in the order the offline verifier reads it: the head, every
 * digest, then every event in sequence order (with its storage position).
 */
export async function* chainLines(
  store: AuditChainStore,
  orgId: string,
  onEvent: () => void = () => {},
): AsyncGenerator<string> {
  const head = await store.head(orgId);
  yield `${JSON.stringify({ type: 'head', orgId, ...(head ?? { seq: 0, hash: null, at: null }) })}\n`;
  for await (const digest of store.digests(orgId)) yield `${JSON.stringify({ type: 'digest', ...digest })}\n`;
  for await (const { event, storedAt } of store.events(orgId)) {
    onEvent();
    yield `${JSON.stringify({ type: 'event', storedAt: Number.isInteger(storedAt) ? storedAt : null, ...event })}\n`;
  }
}

export async function exportAuditLog(
  deps: AuditQueryDeps,
  ctx: RequestContext,
  orgId: string,
  input: {
    readonly from?: string | undefined;
    readonly to?: string | undefined;
    readonly format: 'csv' | 'jsonl';
  },
): Promise<AuditExport> {
  await authorizeRead(deps, ctx, orgId);
  let events = 0;
  let body: string;
  if (input.format === 'csv') {
    const filters = normalised(input);
    const counted = async function* (): AsyncGenerator<Row> {
      for await (const event of eventsInRange(deps.audit, orgId, filters)) {
        events += 1;
        yield csvRow(event);
      }
    };
    body = await collect(writeCsv(CSV_COLUMNS, counted()));
  } else {
    body = await collect(chainLines(deps.audit, orgId, () => (events += 1)));
  }
  await deps.audit.append(
    successDraft({
      orgId,
      action: 'audit.export',
      resource: { type: 'audit', id: orgId },
      detail: { format: input.format, events },
    }),
    auditActorOf(ctx),
  );
  const stamp = new Date().toISOString().slice(0, 10);
  return input.format === 'csv'
    ? { body, contentType: CSV_CONTENT_TYPE, filename: `audit-${orgId}-${stamp}.csv` }
    : { body, contentType: 'application/x-ndjson; charset=utf-8', filename: `audit-${orgId}-${stamp}.jsonl` };
}

function definedOnly(filters: AuditFilters): {
  from?: string;
  to?: string;
  actor?: string;
  action?: string;
  resource?: string;
} {
  return Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined)) as {
    from?: string;
    to?: string;
    actor?: string;
    action?: string;
    resource?: string;
  };
}
