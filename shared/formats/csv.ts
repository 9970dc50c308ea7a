/**
 * Streaming CSV writer. Rows are pulled from an async iterable only as fast as the consumer reads
 * (stream backpressure), so memory stays flat however many rows there are.
 * Output: RFC 4180 (CRLF, quotes where needed), UTF-8 with a byte order mark so that Excel reads
 * accented names correctly; every text cell and header neutralized against formula injection.
 */
import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import { isDateOnly, neutralizeFormula, toCell, type Column, type Row } from './columns.ts';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

function csvValue(column: Column, row: Row): string | number {
  const cell = toCell(column.kind, row[column.key]);
  switch (cell.type) {
    case 'empty':
      return '';
    case 'number':
      return cell.value;
    case 'date':
      return isDateOnly(cell.value) ? cell.value.toISOString().slice(0, 10) : cell.value.toISOString();
    case 'text':
      return cell.value;
  }
}

async function* records(
  columns: readonly Column[],
  rows: AsyncIterable<Row> | Iterable<Row>,
): AsyncGenerator<(string | number)[]> {
  for await (const row of rows) yield columns.map((column) => csvValue(column, row));
}

/**
 * The CSV of `rows` under a header of the columns' labels, as a byte stream. An error thrown by
 * the row source destroys the returned stream with that error, so an upload reading it fails
 * instead of storing a truncated file.
 */
export function writeCsv(columns: readonly Column[], rows: AsyncIterable<Row> | Iterable<Row>): Readable {
  const stringifier = stringify({
    header: true,
    columns: columns.map((column) => neutralizeFormula(column.label)),
    bom: true,
    record_delimiter: 'windows',
    // csv-stringify only quotes the record delimiter itself (CRLF); a lone CR or LF inside a value
    // would split the record in Excel and most parsers.
    quoted_match: /[\r\n]/,
  });
  return pipeline(Readable.from(records(columns, rows)), stringifier, (error) => {
    if (error) stringifier.destroy(error);
  });
}
