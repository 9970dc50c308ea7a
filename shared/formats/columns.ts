/**
 * What the CSV and XLSX writers share: the columns a caller declares, the values a row may carry,
 * and how a value of a given column kind becomes a cell. Both writers type cells the same way, so
 * a CSV and an XLSX of the same rows say the same thing.
 */
import type { FieldType } from '../domain/orchestration.ts';

/** Column kinds are the orchestration field types: a job field maps to a column one to one. */
export type ColumnKind = FieldType;

export interface Column {
  /** The row property the column reads. */
  readonly key: string;
  /** The header cell: the field's label as the organization named it (untrusted text). */
  readonly label: string;
  readonly kind: ColumnKind;
}

export type RowValue = string | number | Date | null | undefined;
export type Row = Readonly<Record<string, RowValue>>;

/** A typed cell: what a value of a column kind is once interpreted. */
export type Cell =
  | { readonly type: 'empty' }
  | { readonly type: 'text'; readonly value: string }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'date'; readonly value: Date };

const EMPTY: Cell = { type: 'empty' };
const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Characters that make a spreadsheet read a cell as a formula or split it, per OWASP's CSV
 * injection guidance: `=`, `+`, `-`, `@`, tab, carriage return and line feed.
 */
const FORMULA_TRIGGER = /^[=+\-@\t\r\n]/;

/**
 * Neutralizes text that a spreadsheet would evaluate: a leading `'` makes Excel, LibreOffice and
 * Google Sheets show the text as typed. Applied to every text cell and header, since labels and
 * values both come from users.
 */
export function neutralizeFormula(text: string): string {
  return FORMULA_TRIGGER.test(text) ? `'${text}` : text;
}

/**
 * Interprets a value for its column kind. Numbers stay numbers and dates become dates only when
 * they really are; anything else falls back to (guarded) text, so nothing is lost or invented.
 */
export function toCell(kind: ColumnKind, value: RowValue): Cell {
  if (value === null || value === undefined || value === '') return EMPTY;
  if (kind === 'number') {
    if (typeof value === 'number' && Number.isFinite(value)) return { type: 'number', value };
    if (typeof value === 'string' && NUMERIC.test(value.trim()))
      return { type: 'number', value: Number(value.trim()) };
  }
  if (kind === 'date') {
    const date =
      value instanceof Date
        ? value
        : typeof value === 'string' && ISO_DATE.test(value.trim())
          ? new Date(value.trim())
          : undefined;
    if (date !== undefined && !Number.isNaN(date.getTime())) return { type: 'date', value: date };
  }
  const text = value instanceof Date ? value.toISOString() : String(value);
  return { type: 'text', value: neutralizeFormula(text) };
}

/** True when a date carries no time of day (UTC), so it is shown as a date alone. */
export function isDateOnly(date: Date): boolean {
  return (
    date.getUTCHours() === 0 &&
    date.getUTCMinutes() === 0 &&
    date.getUTCSeconds() === 0 &&
    date.getUTCMilliseconds() === 0
  );
}
