/**
 * What an organization holds, read raw around the adapters: every item of its partition in the
 * records table and in the audit table, each item as canonical JSON. Comparing two snapshots says
 * exactly what a request changed, attribute by attribute.
 */
import { partitionRaw, type RawItem } from '../support/raw-tables.ts';

export interface PartitionState {
  /** sk → canonical JSON of the item. */
  readonly records: ReadonlyMap<string, string>;
  readonly audit: ReadonlyMap<string, string>;
}

/** JSON with object keys sorted, so equal items give equal text whatever order DynamoDB answers in. */
function canonical(value: unknown): string {
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const bySk = (items: readonly RawItem[]): Map<string, string> =>
  new Map(items.map((item) => [item.sk?.S ?? '', canonical(item)]));

export async function partitionState(orgId: string): Promise<PartitionState> {
  const [records, audit] = await Promise.all([
    partitionRaw('records', `ORG#${orgId}`),
    partitionRaw('audit', `ORG#${orgId}`),
  ]);
  return { records: bySk(records), audit: bySk(audit) };
}

export interface PartitionChange {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

export function changes(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): PartitionChange {
  const added = [...after.keys()].filter((sk) => !before.has(sk));
  const removed = [...before.keys()].filter((sk) => !after.has(sk));
  const changed = [...after.keys()].filter((sk) => before.has(sk) && before.get(sk) !== after.get(sk));
  return { added, removed, changed };
}

/** The attribute `name` of an item as canonical JSON holds it (string or number attribute values). */
export function attribute(itemJson: string | undefined, name: string): string | undefined {
  if (itemJson === undefined) return undefined;
  const value = (JSON.parse(itemJson) as Record<string, { S?: string; N?: string }>)[name];
  return value?.S ?? value?.N;
}
