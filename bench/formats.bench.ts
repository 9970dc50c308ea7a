/**
 * Export formats benchmark: throughput and peak memory of our CSV, XLSX and AES-ZIP writers
 * against the bare libraries writing the same synthetic rows to a null sink, in the same run.
 * Each case runs in a fresh child process, so its peak RSS is its own; medians of three runs.
 *
 *   runFormatsBench(100_000) → { export_csv_rows_s, export_csv_ratio, export_csv_peak_mb, … }
 *   npx tsx bench/formats.bench.ts 100000          (prints the same as JSON)
 *
 * `ratio` is ours ÷ bare in rows/s: what the guard, typing and stream plumbing cost.
 */
import { execFile } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WritableStream } from 'node:stream/web';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import { ZipWriter, configure } from '@zip.js/zip.js';
import { writeCsv } from '../shared/formats/csv.ts';
import { writeXlsx } from '../shared/formats/xlsx.ts';
import { createEncryptedZip } from '../shared/formats/encrypted-zip.ts';
import type { Column, Row } from '../shared/formats/columns.ts';

const FORMATS = ['csv', 'xlsx', 'zip'] as const;
const VARIANTS = ['ours', 'bare'] as const;
type Format = (typeof FORMATS)[number];
type Variant = (typeof VARIANTS)[number];
const RUNS = 3;
const PASSWORD = 'benchmark password 123';

const COLUMNS: Column[] = [
  { key: 'name', label: 'Name', kind: 'text' },
  { key: 'email', label: 'Email', kind: 'email' },
  { key: 'phone', label: 'Phone', kind: 'phone' },
  { key: 'amount', label: 'Amount', kind: 'number' },
  { key: 'due', label: 'Due', kind: 'date' },
  { key: 'notes', label: 'Notes', kind: 'text' },
];

function* syntheticRows(count: number): Generator<Row> {
  const start = Date.UTC(2026, 0, 1);
  for (let index = 0; index < count; index += 1) {
    yield {
      name: `Customer ${index}`,
      email: `customer.${index}@example.com`,
      phone: `+33 6 ${String(index % 100_000_000).padStart(8, '0')}`,
      amount: (index % 10_000) * 1.25,
      due: new Date(start + (index % 365) * 86_400_000),
      notes: index % 7 === 0 ? `=SUM(A${index})` : `Job note number ${index}, stage ${index % 5}`,
    };
  }
}

function rowArray(row: Row): unknown[] {
  return COLUMNS.map((column) => row[column.key]);
}

function nullSink(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

async function runOurs(format: Format, rows: number): Promise<void> {
  if (format === 'csv') return pipeline(writeCsv(COLUMNS, syntheticRows(rows)), nullSink());
  if (format === 'xlsx') return pipeline(writeXlsx(COLUMNS, syntheticRows(rows)), nullSink());
  const zip = createEncryptedZip(PASSWORD);
  const drained = pipeline(zip.output, nullSink());
  await zip.addEntry('jobs.csv', writeCsv(COLUMNS, syntheticRows(rows)));
  await zip.close();
  await drained;
}

async function runBare(format: Format, rows: number): Promise<void> {
  if (format === 'csv') {
    const stringifier = stringify({ header: true, columns: COLUMNS.map((column) => column.label) });
    return pipeline(
      async function* () {
        for (const row of syntheticRows(rows)) yield rowArray(row);
      },
      stringifier,
      nullSink(),
    );
  }
  if (format === 'xlsx') {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: nullSink(),
      useSharedStrings: false,
      useStyles: true,
    });
    const sheet = workbook.addWorksheet('Export');
    sheet.addRow(COLUMNS.map((column) => column.label)).commit();
    for (const row of syntheticRows(rows)) sheet.addRow(rowArray(row)).commit();
    sheet.commit();
    return workbook.commit();
  }
  configure({ useWebWorkers: false });
  const writer = new ZipWriter(new WritableStream({ write: () => undefined }), {
    password: PASSWORD,
    encryptionStrength: 3,
  });
  const stringifier = stringify({ header: true, columns: COLUMNS.map((column) => column.label) });
  const feeding = (async () => {
    for (const row of syntheticRows(rows))
      if (!stringifier.write(rowArray(row)))
        await new Promise((resolve) => stringifier.once('drain', resolve));
    stringifier.end();
  })();
  await writer.add('jobs.csv', Readable.toWeb(stringifier));
  await feeding;
  await writer.close();
}

interface CaseResult {
  readonly rowsPerSecond: number;
  readonly peakMb: number;
}

/** One case in this process: what the child runs. */
async function runCase(format: Format, variant: Variant, rows: number): Promise<CaseResult> {
  const started = performance.now();
  await (variant === 'ours' ? runOurs(format, rows) : runBare(format, rows));
  const seconds = (performance.now() - started) / 1000;
  return { rowsPerSecond: rows / seconds, peakMb: process.resourceUsage().maxRSS / 1024 };
}

const execFileAsync = promisify(execFile);

async function runInChild(format: Format, variant: Variant, rows: number): Promise<CaseResult> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--case', format, variant, String(rows)],
    {
      maxBuffer: 1024 * 1024,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as CaseResult;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

export async function runFormatsBench(rows: number): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  for (const format of FORMATS) {
    const measured: Record<Variant, CaseResult[]> = { ours: [], bare: [] };
    // Interleaved, so a slow moment of the machine hits both variants alike.
    for (let run = 0; run < RUNS; run += 1)
      for (const variant of VARIANTS) measured[variant].push(await runInChild(format, variant, rows));
    const ours = median(measured.ours.map((result) => result.rowsPerSecond));
    const bare = median(measured.bare.map((result) => result.rowsPerSecond));
    results[`export_${format}_rows_s`] = Math.round(ours);
    results[`export_${format}_bare_rows_s`] = Math.round(bare);
    results[`export_${format}_ratio`] = round(ours / bare, 2);
    results[`export_${format}_peak_mb`] = round(median(measured.ours.map((result) => result.peakMb)));
    results[`export_${format}_bare_peak_mb`] = round(median(measured.bare.map((result) => result.peakMb)));
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [flag, format, variant, rows] = process.argv.slice(2);
  if (flag === '--case') {
    console.log(JSON.stringify(await runCase(format as Format, variant as Variant, Number(rows))));
  } else {
    console.log(JSON.stringify(await runFormatsBench(Number(flag ?? 10_000)), null, 2));
  }
}
