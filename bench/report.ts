/**
 * Renders docs/performance.md, the one place it is written: the figures of each benchmark section
 * with the run they come from, each goal and whether it is met, then the explanations, which live
 * in bench/performance-notes.md (edit them there, never in the document). The document is also
 * where the figures are kept between runs: `parsePerformanceDoc` reads them back, so
 * `npm run bench -- --only=x` reruns x and keeps every other section as the document gives it.
 */
import { goalFor } from './goals.ts';

/** One section's figures, from one run. */
export interface SectionRun {
  readonly workload: string;
  /** When the section ran (ISO 8601). */
  readonly date: string;
  /** Cores, CPU and Node of the machine it ran on. */
  readonly machine: string;
  readonly full: boolean;
  readonly metrics: Readonly<Record<string, number>>;
}

export interface BenchResult {
  /** In the order the document shows them. */
  readonly sections: Readonly<Record<string, SectionRun>>;
  readonly failures: Readonly<Record<string, string>>;
}

/** Where docs/performance.md explains a missed goal, by metric prefix: a bullet of the notes. */
const WHY_TOPICS: readonly (readonly [string, string])[] = [
  ['bundle_kb.', 'Bundle size'],
  ['init_ratio.', 'Init ratio'],
  ['calls.', 'DynamoDB calls per job operation'],
  ['audit_', 'Audit log'],
];

export const allMetrics = (result: BenchResult): Record<string, number> =>
  Object.assign({}, ...Object.values(result.sections).map((s) => s.metrics)) as Record<string, number>;

export function renderTable(
  metrics: Readonly<Record<string, number>>,
  all: Readonly<Record<string, number>> = metrics,
): string {
  const rows = Object.entries(metrics).map(([name, value]) => {
    const goal = goalFor(name);
    const verdict = goal === undefined ? '' : goal.met(value, all) ? 'met' : 'MISSED';
    return `| \`${name}\` | ${value} | ${goal?.goal ?? ''} | ${verdict} |`;
  });
  return ['| metric | value | goal | |', '|---|---:|---|---|', ...rows].join('\n');
}

const HEADER = [
  '# Performance',
  '',
  'Written by `npm run bench` (bench/report.ts); the explanations under "Why" come from',
  'bench/performance-notes.md. Edit those, never this document: test/unit/bench-report.test.ts',
  'renders it again from its own figures and fails on any other difference. Medians over several',
  'runs; ratios are against a baseline measured in the same run, because absolute times on these',
  'shared machines are not stable. `npm run bench -- --only=a,b` reruns sections a and b and keeps',
  'the figures of the others as this document gives them, each with the run it comes from.',
];

export function renderPerformanceDoc(result: BenchResult, notes: string): string {
  const all = allMetrics(result);
  const missed = Object.entries(all).filter(([name, value]) => goalFor(name)?.met(value, all) === false);
  const topic = (name: string) => WHY_TOPICS.find(([prefix]) => name.startsWith(prefix))?.[1];
  return [
    ...HEADER,
    '',
    '## Figures',
    '',
    ...Object.entries(result.sections).flatMap(([name, run]) => [
      `### ${name} — run ${run.date}${run.full ? ' with --full' : ''} on ${run.machine}`,
      '',
      run.workload,
      '',
      renderTable(run.metrics, all),
      '',
    ]),
    '## Goals missed',
    '',
    missed.length === 0
      ? 'None.'
      : missed
          .map(([name]) => {
            const where = topic(name);
            return `- \`${name}\` (${goalFor(name)?.goal ?? ''}): see ${where === undefined ? '"Why"' : `"${where}" under "Why"`} below.`;
          })
          .join('\n'),
    '',
    ...(Object.keys(result.failures).length > 0
      ? [
          '## Sections that failed',
          '',
          ...Object.entries(result.failures).map(([n, m]) => `- ${n}: ${m}`),
          '',
        ]
      : []),
    notes.trimEnd(),
    '',
  ].join('\n');
}

const SECTION_HEADING = /^### (\S+) — run (\S+?)( with --full)? on (.+)$/;
const FIGURE_ROW = /^\| `([^`]+)` \| ([^|]+) \|/;

/** The figures docs/performance.md holds, section by section, as `renderPerformanceDoc` wrote them. */
export function parsePerformanceDoc(doc: string): BenchResult {
  const sections: Record<string, SectionRun> = {};
  const failures: Record<string, string> = {};
  const lines = doc.split('\n');
  let current:
    { name: string; run: Omit<SectionRun, 'metrics'>; metrics: Record<string, number> } | undefined;
  let inFailures = false;
  const close = () => {
    if (current !== undefined) sections[current.name] = { ...current.run, metrics: current.metrics };
    current = undefined;
  };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const heading = SECTION_HEADING.exec(line);
    if (heading !== null) {
      close();
      const [, name = '', date = '', full, machine = ''] = heading;
      current = {
        name,
        run: { workload: lines[i + 2] ?? '', date, machine, full: full !== undefined },
        metrics: {},
      };
      i += 2;
      continue;
    }
    if (line.startsWith('## ')) {
      close();
      inFailures = line === '## Sections that failed';
      continue;
    }
    const row = FIGURE_ROW.exec(line);
    if (current !== undefined && row !== null) current.metrics[row[1] ?? ''] = Number(row[2]);
    const failure = inFailures ? /^- ([^:]+): (.*)$/.exec(line) : null;
    if (failure !== null) failures[failure[1] ?? ''] = failure[2] ?? '';
  }
  close();
  return { sections, failures };
}

/** The notes of bench/performance-notes.md: everything of the document from "## Why" on. */
export const notesOf = (doc: string): string => doc.slice(doc.indexOf('\n## Why\n') + 1);
