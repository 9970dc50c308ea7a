/**
 * Streaming XLSX writer on exceljs's WorkbookWriter: inline strings (no shared-strings table held
 * in memory), each row committed as soon as it is added, and a pause whenever the consumer of the
 * output is behind, so memory stays flat however many rows there are.
 * Cells are typed by column kind (numbers as numbers, dates as dates with a date format, the rest
 * as text neutralized against formula injection); the header row holds the labels in bold.
 */
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isDateOnly, neutralizeFormula, toCell, type Column, type Row } from './columns.ts';

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const DATE_FORMAT = 'yyyy-mm-dd';
const DATE_TIME_FORMAT = 'yyyy-mm-dd hh:mm:ss';
/** Rows written between two checks of the consumer: exceljs itself never waits for it. */
const ROWS_PER_CHECK = 200;
const OUTPUT_HIGH_WATER_MARK = 1024 * 1024;
/** Characters XML 1.0 forbids: one of them in a cell makes the whole file unreadable. */
const XML_INVALID =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const SHEET_NAME_FORBIDDEN = /[\\/?*[\]:]/g;

export interface XlsxOptions {
  /** The worksheet's name; cleaned to what Excel accepts (31 characters, no `\/?*[]:`). */
  readonly sheetName?: string;
}

function xmlSafe(text: string): string {
  return text.replace(XML_INVALID, '\uFFFD');
}

function sheetName(name: string | undefined): string {
  const cleaned = xmlSafe(name ?? '')
    .replace(SHEET_NAME_FORBIDDEN, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^'+|'+$/g, '')
    .trim()
    .slice(0, 31);
  return cleaned === '' ? 'Export' : cleaned;
}

function columnWidth(column: Column): number {
  const byKind = column.kind === 'date' ? 20 : column.kind === 'number' ? 12 : 24;
  return Math.min(60, Math.max(byKind, column.label.length + 2));
}

async function writeWorkbook(
  output: PassThrough,
  columns: readonly Column[],
  rows: AsyncIterable<Row> | Iterable<Row>,
  options: XlsxOptions,
): Promise<void> {
  // exceljs is about 1.3 MB bundled and only exports need it: loaded on first use, it is a chunk
  // of its own that the cold start of every function importing this module never reads.
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: output,
    useSharedStrings: false,
    useStyles: true,
  });
  const sheet = workbook.addWorksheet(sheetName(options.sheetName), {
    views: [{ state: 'frozen', ySplit: 1 }],
  });
  sheet.columns = columns.map((column) => ({ width: columnWidth(column) }));

  const header = sheet.addRow(columns.map((column) => xmlSafe(neutralizeFormula(column.label))));
  header.font = { bold: true };
  header.commit();

  let written = 0;
  for await (const row of rows) {
    if (output.destroyed) return;
    const excelRow = sheet.addRow(columns.map(() => null));
    columns.forEach((column, index) => {
      const cell = toCell(column.kind, row[column.key]);
      const target = excelRow.getCell(index + 1);
      if (cell.type === 'text') target.value = xmlSafe(cell.value);
      else if (cell.type === 'number') target.value = cell.value;
      else if (cell.type === 'date') {
        target.value = cell.value;
        target.numFmt = isDateOnly(cell.value) ? DATE_FORMAT : DATE_TIME_FORMAT;
      }
    });
    excelRow.commit();
    written += 1;
    if (written % ROWS_PER_CHECK === 0) {
      // Let the zip stage compress what was written, then wait while the reader is behind.
      await nextTurn();
      while (output.writableNeedDrain && !output.destroyed) await once(output, 'drain');
    }
  }
  sheet.commit();
  await workbook.commit();
}

/**
 * The XLSX of `rows` as a byte stream. An error from the row source destroys the returned stream
 * with that error, so an upload reading it fails instead of storing a truncated file.
 */
export function writeXlsx(
  columns: readonly Column[],
  rows: AsyncIterable<Row> | Iterable<Row>,
  options: XlsxOptions = {},
): Readable {
  const output = new PassThrough({ highWaterMark: OUTPUT_HIGH_WATER_MARK });
  writeWorkbook(output, columns, rows, options).catch((error: unknown) =>
    output.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return output;
}
