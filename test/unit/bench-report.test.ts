/**
 * docs/performance.md has one author, bench/report.ts: its figures are data the document keeps
 * between runs, its explanations come from bench/performance-notes.md. A hand edit anywhere else
 * (a verdict, a goal, a "Why" written into the document) fails here.
 */
import { readFileSync } from 'node:fs';
import { parsePerformanceDoc, renderPerformanceDoc } from '../../bench/report.ts';

const doc = readFileSync('docs/performance.md', 'utf8');
const notes = readFileSync('bench/performance-notes.md', 'utf8');

test('docs/performance.md is what bench/report.ts renders from the figures it holds and the notes', () => {
  expect(renderPerformanceDoc(parsePerformanceDoc(doc), notes)).toBe(doc);
});

test('the figures read back are every row of the document, each under its section and run', () => {
  const { sections } = parsePerformanceDoc(doc);
  const rows = doc.match(/^\| `[^`]+` \| [^|]+ \|/gm) ?? [];
  expect(Object.values(sections).reduce((n, s) => n + Object.keys(s.metrics).length, 0)).toBe(rows.length);
  expect(sections.cold_start?.metrics['bundle_kb.sdk_floor']).toEqual(expect.any(Number));
  expect(sections.cold_start?.date).toMatch(/^\d{4}-\d\d-\d\dT/);
});
