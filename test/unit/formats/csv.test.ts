import { buffer } from 'node:stream/consumers';
import type { Readable } from 'node:stream';
import { writeCsv } from '../../../shared/formats/csv.ts';
import type { Column, Row } from '../../../shared/formats/columns.ts';
import { stalledAt } from './stall.ts';

const columns: Column[] = [
  { key: 'name', label: 'Name', kind: 'text' },
  { key: 'amount', label: 'Amount', kind: 'number' },
  { key: 'due', label: 'Due', kind: 'date' },
];

const BOM = '\uFEFF';

/** Decoded without TextDecoder, which would silently drop the byte order mark under test. */
async function text(stream: Readable): Promise<string> {
  return (await buffer(stream)).toString('utf8');
}

describe('writeCsv', () => {
  test('writes a byte order mark, a header of labels and one CRLF record per row, quoted where needed', async () => {
    // Prepare
    const rows = [
      { name: 'Ada, "the first"', amount: 12.5, due: '2026-03-01' },
      { name: 'Línea\nnueva', amount: '7', due: new Date('2026-03-01T10:20:30Z') },
    ];

    // Act
    const output = await text(writeCsv(columns, rows));

    // Assess
    expect(output).toBe(
      `${BOM}Name,Amount,Due\r\n` +
        `"Ada, ""the first""",12.5,2026-03-01\r\n` +
        `"Línea\nnueva",7,2026-03-01T10:20:30.000Z\r\n`,
    );
  });

  test.each([
    ['=HYPERLINK("http://evil.example","x")'],
    ['+1+cmd|" /C calc"!A0'],
    ['-2+3'],
    ['@SUM(1+1)'],
    ['\t=1+1'],
    ['\r=1+1'],
  ])(
    'prefixes %j with a quote so no spreadsheet evaluates it, in text, number and date columns',
    async (payload) => {
      // Act
      const output = await text(writeCsv(columns, [{ name: payload, amount: payload, due: payload }]));

      // Assess: quoted or not (quotes, tab and CR force quoting), each cell starts with `'`.
      const record = output.slice(`${BOM}Name,Amount,Due\r\n`.length);
      const escaped = payload.replaceAll('"', '""');
      const cell = /[",\r\n]/.test(payload) ? `"'${escaped}"` : `'${payload}`;
      expect(record).toBe(`${cell},${cell},${cell}\r\n`);
    },
  );

  test('guards header labels too, and leaves real numbers (negative included) as numbers', async () => {
    // Act
    const output = await text(
      writeCsv(
        [
          { key: 'name', label: '=cmd', kind: 'text' },
          { key: 'amount', label: 'Amount', kind: 'number' },
          { key: 'due', label: 'Due', kind: 'date' },
        ],
        [{ name: 'ok', amount: -42, due: null }],
      ),
    );

    // Assess
    expect(output).toBe(`${BOM}'=cmd,Amount,Due\r\nok,-42,\r\n`);
  });

  test('pulls rows only as fast as the reader consumes them', async () => {
    // Prepare: an endless row source, and a reader that stops reading.
    let pulled = 0;
    async function* endless(): AsyncGenerator<Row> {
      for (;;) {
        pulled += 1;
        yield { name: `row ${pulled}`, amount: pulled, due: null };
      }
    }

    // Act
    const stream = writeCsv(columns, endless());
    stream.read();
    const stopped = await stalledAt(() => pulled, 100);

    // Assess: the source stalls (bounded by the stream buffers) instead of filling memory.
    expect(stopped).toBeLessThan(20_000);
    stream.destroy();
  });

  test('fails the stream when the row source fails, so no truncated file looks complete', async () => {
    async function* failing(): AsyncGenerator<Row> {
      yield { name: 'first', amount: 1, due: null };
      throw new Error('query failed');
    }
    await expect(text(writeCsv(columns, failing()))).rejects.toThrow('query failed');
  });
});
