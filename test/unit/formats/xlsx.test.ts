import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import ExcelJS from 'exceljs';
import { writeXlsx } from '../../../shared/formats/xlsx.ts';
import type { Column, Row } from '../../../shared/formats/columns.ts';
import { stalledAt } from './stall.ts';

const columns: Column[] = [
  { key: 'name', label: 'Name', kind: 'text' },
  { key: 'email', label: 'E-mail', kind: 'email' },
  { key: 'phone', label: 'Phone', kind: 'phone' },
  { key: 'amount', label: 'Amount', kind: 'number' },
  { key: 'due', label: 'Due', kind: 'date' },
];

async function readSheet(bytes: Buffer): Promise<ExcelJS.Worksheet> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new Error('no worksheet');
  return sheet;
}

describe('writeXlsx', () => {
  test('writes a bold header of labels and typed cells: numbers, dates with a date format, text', async () => {
    // Prepare
    const rows: Row[] = [
      {
        name: 'Ada',
        email: 'ada@example.com',
        phone: '+44 20 7946 0000',
        amount: '1250.5',
        due: '2026-03-01',
      },
      {
        name: 'Grace',
        email: 'grace@example.com',
        phone: '0612345678',
        amount: -3,
        due: new Date('2026-03-01T10:20:30Z'),
      },
    ];

    // Act
    const sheet = await readSheet(await buffer(writeXlsx(columns, rows, { sheetName: 'Jobs: [all]' })));

    // Assess
    expect(sheet.name).toBe('Jobs all');
    const header = sheet.getRow(1);
    expect(header.values).toEqual([undefined, 'Name', 'E-mail', 'Phone', 'Amount', 'Due']);
    expect(header.getCell(1).font?.bold).toBe(true);

    const first = sheet.getRow(2);
    expect(first.getCell(1).value).toBe('Ada');
    // A phone number stays text: a leading `+` is neutralized, never turned into a number.
    expect(first.getCell(3).value).toBe("'+44 20 7946 0000");
    expect(first.getCell(4).value).toBe(1250.5);
    expect(first.getCell(5).value).toEqual(new Date('2026-03-01T00:00:00Z'));
    expect(first.getCell(5).numFmt).toBe('yyyy-mm-dd');

    const second = sheet.getRow(3);
    expect(second.getCell(2).value).toBe('grace@example.com');
    expect(second.getCell(3).value).toBe('0612345678');
    expect(second.getCell(4).value).toBe(-3);
    expect(second.getCell(5).value).toEqual(new Date('2026-03-01T10:20:30Z'));
    expect(second.getCell(5).numFmt).toBe('yyyy-mm-dd hh:mm:ss');
  });

  test('neutralizes formulas in text and labels, and keeps a file readable despite control characters', async () => {
    // Act
    const sheet = await readSheet(
      await buffer(
        writeXlsx(
          [{ key: 'name', label: '@label', kind: 'text' }],
          [{ name: '=1+1' }, { name: 'bell\u0007 and \uD800 lone' }],
        ),
      ),
    );

    // Assess
    expect(sheet.getRow(1).getCell(1).value).toBe("'@label");
    expect(sheet.getRow(2).getCell(1).value).toBe("'=1+1");
    expect(sheet.getRow(3).getCell(1).value).toBe('bell\uFFFD and \uFFFD lone');
  });

  test('stops pulling rows while the reader is behind', async () => {
    // Prepare: an endless source of barely compressible rows, and a reader that reads nothing.
    let pulled = 0;
    async function* endless(): AsyncGenerator<Row> {
      for (;;) {
        pulled += 1;
        yield { name: randomBytes(48).toString('hex'), email: '', phone: '', amount: pulled, due: null };
      }
    }

    // Act
    const stream = writeXlsx(columns, endless());
    const stopped = await stalledAt(() => pulled);

    // Assess: a few MiB of rows at most are held, and no more are pulled.
    expect(stopped).toBeLessThan(100_000);
    stream.destroy();
  });

  test('fails the stream when the row source fails', async () => {
    async function* failing(): AsyncGenerator<Row> {
      yield { name: 'first' };
      throw new Error('query failed');
    }
    await expect(buffer(writeXlsx(columns, failing()))).rejects.toThrow('query failed');
  });
});
