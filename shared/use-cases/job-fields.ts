/**
 * Field values of jobs: validation against the orchestration's field types, sealing of encrypted
 * fields before they are stored, opening them only where the field mask allows reading, and the
 * audit `changes` of a write (values only of non-personal, non-encrypted fields).
 */
import * as z from 'zod/mini';
import type { FieldMask } from '../domain/authorization.ts';
import { ValidationError, type FieldIssue } from '../domain/errors.ts';
import type { FieldDefinition, FieldValue, Orchestration } from '../domain/orchestration.ts';
import type { OrgCrypto } from '../domain/org-crypto.ts';
import { isStorableNumber, STORABLE_NUMBER_RULE } from '../domain/storable-number.ts';
import type { AuditChanges } from '../ports/audit.ts';

export const MAX_TEXT_LENGTH = 10_000;
const emailSchema = z.email();
/** E.164 after dropping the spaces, dashes, dots and parentheses people type. */
const E164 = /^\+[1-9][0-9]{6,14}$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The value in its stored form, or the reason it does not fit the field's type. */
function normaliseValue(
  field: FieldDefinition,
  value: FieldValue,
): { value: FieldValue } | { problem: string } {
  switch (field.type) {
    case 'number':
      if (typeof value !== 'number') return { problem: 'Expected a number' };
      return isStorableNumber(value) ? { value } : { problem: STORABLE_NUMBER_RULE };
    case 'text':
      if (typeof value !== 'string') return { problem: 'Expected text' };
      return value.length <= MAX_TEXT_LENGTH
        ? { value }
        : { problem: `Text is limited to ${MAX_TEXT_LENGTH} characters` };
    case 'email': {
      const email = typeof value === 'string' ? value.trim() : '';
      return email.length <= 254 && emailSchema.safeParse(email).success
        ? { value: email }
        : { problem: 'Expected an email address' };
    }
    case 'phone': {
      const phone = typeof value === 'string' ? value.replace(/[\s().-]/g, '') : '';
      return E164.test(phone)
        ? { value: phone }
        : { problem: 'Expected a phone number in international form, e.g. +4915112345678' };
    }
    case 'date':
      return typeof value === 'string' && isCalendarDate(value)
        ? { value }
        : { problem: 'Expected a date as YYYY-MM-DD' };
  }
}

/**
 * Checks `values` against the orchestration: unknown field ids and values that do not fit their
 * field's type are a 400 naming each failing field. `null` (allowed when `allowNull`) clears a value.
 */
export function validateFieldValues(
  orchestration: Orchestration,
  values: Readonly<Record<string, FieldValue | null>>,
  allowNull: boolean,
): Record<string, FieldValue | null> {
  const byId = new Map(orchestration.fields.map((f) => [f.id, f]));
  const issues: FieldIssue[] = [];
  const normalised: Record<string, FieldValue | null> = {};
  for (const [fieldId, value] of Object.entries(values)) {
    const field = byId.get(fieldId);
    const path = `body.fields.${fieldId}`;
    if (field === undefined) {
      issues.push({ path, message: 'No such field in this orchestration' });
    } else if (value === null) {
      if (allowNull) normalised[fieldId] = null;
      else issues.push({ path, message: 'A value is required' });
    } else {
      const result = normaliseValue(field, value);
      if ('problem' in result) issues.push({ path, message: result.problem });
      else normalised[fieldId] = result.value;
    }
  }
  if (issues.length > 0) throw new ValidationError('Some field values are not valid', issues);
  return normalised;
}

export interface SealedValues {
  /** Values as stored: encrypted fields sealed, the rest as given. */
  readonly stored: Record<string, FieldValue>;
  /** Blind index of the subject email, when the values set it. */
  readonly subjectIndex?: string;
}

/** Seals each encrypted field (record = job, field = field id) and derives the subject blind index. */
export async function sealValues(
  crypto: OrgCrypto,
  jobId: string,
  orchestration: Orchestration,
  values: Readonly<Record<string, FieldValue>>,
): Promise<SealedValues> {
  const stored: Record<string, FieldValue> = {};
  let subjectIndex: string | undefined;
  for (const field of orchestration.fields) {
    const value = values[field.id];
    if (value === undefined) continue;
    stored[field.id] = field.encrypted ? await crypto.seal(jobId, field.id, String(value)) : value;
    if (field.subject) subjectIndex = await crypto.blindIndex(String(value));
  }
  return subjectIndex === undefined ? { stored } : { stored, subjectIndex };
}

export interface OpenedValues {
  /** Only the fields the mask lets the reader see; hidden ones are absent, not null. */
  readonly fields: Record<string, FieldValue>;
  /** Encrypted fields that were opened for this reader (for the read audit event). */
  readonly decrypted: readonly string[];
}

/** Opens what the mask lets the reader see. Nothing hidden is ever decrypted. */
export async function openValues(
  crypto: OrgCrypto,
  jobId: string,
  orchestration: Orchestration,
  stored: Readonly<Record<string, FieldValue>>,
  mask: FieldMask,
): Promise<OpenedValues> {
  const fields: Record<string, FieldValue> = {};
  const decrypted: string[] = [];
  for (const field of orchestration.fields) {
    const value = stored[field.id];
    if (value === undefined || (mask[field.id] ?? 'hidden') === 'hidden') continue;
    if (field.encrypted) {
      const plaintext = await crypto.open(jobId, field.id, String(value));
      fields[field.id] = field.type === 'number' ? Number(plaintext) : plaintext;
      decrypted.push(field.id);
    } else {
      fields[field.id] = value;
    }
  }
  return { fields, decrypted };
}

/**
 * Which fields a write changed. Encrypted fields count as changed whenever the write names them
 * (comparing would mean decrypting for no reader); values are recorded only for fields that are
 * neither personal nor encrypted.
 */
export function changesOf(
  orchestration: Orchestration,
  before: Readonly<Record<string, FieldValue>>,
  written: Readonly<Record<string, FieldValue | null>>,
): AuditChanges {
  const fields: string[] = [];
  const values: Record<string, string | number | null> = {};
  for (const field of orchestration.fields) {
    if (!(field.id in written)) continue;
    const value = written[field.id] ?? null;
    if (!field.encrypted && (before[field.id] ?? null) === value) continue;
    fields.push(field.id);
    if (!field.personal && !field.encrypted) values[field.id] = value;
  }
  return Object.keys(values).length === 0 ? { fields } : { fields, values };
}
