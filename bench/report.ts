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

- **Bundle size** (≤ 250 KB per HTTP bundle, what init reads) — missed by every HTTP function.
  The SDK floor alone (\`bundle_kb.sdk_floor\`: the DynamoDB and KMS clients as our functions
  configure them, environment credentials, the same bundler) is about 212 KB, near the ~225 KB the
  issue cites for such a handler; Custos's own code adds 40–75 KB, aws-jwt-verify 16 KB and zod
  classic about 190 KB. The credential chain (~90 KB) and the XLSX/ZIP libraries (about 1,360 KB, now
  chunks loaded by \`import()\`) are out. zod/mini measured 22 KB for the same schema against
  188.5 KB; moving the route schemas to it is the next step (docs/decisions/0007), and even then
  an API function using DynamoDB and KMS lands near 300 KB: the goal also needs a slimmer SDK.
  Marking the SDK external would meet the figure on paper while loading the same code from the
  runtime.
- **Init ratio** (≤ 1.3× \`init_ms.sdk_floor\`) — code run at start-up costs about 15 ms per
  100 KB on Lambda (the AWS SDK team's performance guidance, supplemental-docs/performance in
  aws/aws-sdk-js-v3, recommends bundling only the clients used for this reason; maxday/lambda-perf
  measures a nodejs24.x arm64 hello world at about 120 ms of init). The functions that miss carry
  zod and more of the SDK than the floor. On this shared 2-core machine the cold_start section
  ran with a load average near 18, so its times, the floor's included, are several times Lambda's
  and the ratios are noisy: rerun on a quiet machine before reading them closely.
- **DynamoDB calls per job operation** — a job read, update or create reads the organization,
  the caller's membership, the orchestration and (but for a create) the job in one BatchGetItem,
  then appends its audit event (a read that decrypted) or writes its one transaction: 2 calls. That holds when the
  instance already knows the job's orchestration (jobs it created, listed or read before; the id
  only, the orchestration itself is always read fresh); the first read of a job on an instance
  takes one more batched read, and so does a member with a custom role. A list stays at 3: its
  page is a Query on the by-orchestration index, which no batch can carry, and which jobs it may
  list depends on the decision the batch feeds.
- **Load** — every audited write of one organization takes its turn on that organization's
  audit-chain head (docs/decisions/0002). The load benchmark gives each connection its own
  organization; ten connections writing into one organization measured about 7 requests/s on
  DynamoDB Local. Sharding the chain into lanes would lift that bound at the cost of a more
  involved verification; it is not built.
- **Deletion** — measured on an in-memory DynamoDB Local; the figure is the clean-up cycle's
  own cost, not a prediction of DynamoDB's.
`;
