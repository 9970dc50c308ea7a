/** Renders benchmark figures as a table, with each goal and whether it is met. */
import { goalFor } from './goals.ts';

export interface BenchResult {
  readonly machine: {
    readonly cores: number;
    readonly cpu: string;
    readonly node: string;
    readonly date: string;
    readonly full: boolean;
    /** Set by `--only`: the sections run at `date`; the other figures come from the `previous` run. */
    readonly sections?: readonly string[];
    readonly previous?: { readonly date: string; readonly full: boolean };
  };
  readonly workloads: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, number>>;
  readonly failures: Readonly<Record<string, string>>;
}

export function renderTable(metrics: Readonly<Record<string, number>>): string {
  const rows = Object.entries(metrics).map(([name, value]) => {
    const goal = goalFor(name);
    const verdict = goal === undefined ? '' : goal.met(value, metrics) ? 'met' : 'MISSED';
    return `| \`${name}\` | ${value} | ${goal?.goal ?? ''} | ${verdict} |`;
  });
  return ['| metric | value | goal | |', '|---|---:|---|---|', ...rows].join('\n');
}

export function renderPerformanceDoc(result: BenchResult): string {
  const missed = Object.entries(result.metrics).filter(([name, value]) => goalFor(name)?.met(value, result.metrics) === false);
  return [
    '# Performance',
    '',
    'Written by `npm run bench` (figures: `bench/results/latest.json`). Medians over several runs;',
    'ratios are against a baseline measured in the same run, because absolute times on these shared',
    'machines are not stable.',
    '',
    `Machine: ${result.machine.cores} cores, ${result.machine.cpu}, Node ${result.machine.node}; run ${result.machine.date}${result.machine.full ? ' with --full' : ''}${partialNote(result.machine)}.`,
    '',
    '## Workloads',
    '',
    ...Object.entries(result.workloads).map(([name, workload]) => `- **${name}**: ${workload}`),
    '',
    '## Figures',
    '',
    renderTable(result.metrics),
    '',
    '## Goals missed',
    '',
    missed.length === 0 ? 'None.' : missed.map(([name]) => `- \`${name}\` (${goalFor(name)?.goal ?? ''}): see "Why" below.`).join('\n'),
    '',
    ...(Object.keys(result.failures).length > 0 ? ['## Sections that failed', '', ...Object.entries(result.failures).map(([n, m]) => `- ${n}: ${m}`), ''] : []),
    WHY,
  ].join('\n');
}

function partialNote(machine: BenchResult['machine']): string {
  if (machine.sections === undefined || machine.previous === undefined) return '';
  return ` (sections ${machine.sections.join(', ')}); the other figures are from the run of ${machine.previous.date}${machine.previous.full ? ' with --full' : ''}`;
}

const WHY = `## Why

- **Bundle size** — every API bundle carries the AWS SDK v3 clients it uses (pinned, not the
  runtime's copy) and zod; together they are far above 250 KB before any Custos code. Marking the
  SDK external would meet the figure on paper while loading the same code from the runtime.
- **Init ratio** — the empty handler imports nothing; every real function loads the SDK and zod.
- **DynamoDB calls per read** — a job read resolves the caller's membership and the organization
  (one TransactGetItems, side by side with the job itself), then the orchestration (field
  definitions and access limits), and a read that decrypts an encrypted field appends its audit
  event (one transaction): 3 reads and 1 write. Writes meet their goal: the change and its audit
  event are one transaction, which also names what the answer discloses.
- **Load** — every audited write of one organization takes its turn on that organization's
  audit-chain head (docs/decisions/0002). The load benchmark gives each connection its own
  organization; ten connections writing into one organization measured about 7 requests/s on
  DynamoDB Local. Sharding the chain into lanes would lift that bound at the cost of a more
  involved verification; it is not built.
- **Deletion** — measured on an in-memory DynamoDB Local; the figure is the clean-up cycle's
  own cost, not a prediction of DynamoDB's.
`;
