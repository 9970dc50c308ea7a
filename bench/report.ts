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
  const missed = Object.entries(result.metrics).filter(
    ([name, value]) => goalFor(name)?.met(value, result.metrics) === false,
  );
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
    missed.length === 0
      ? 'None.'
      : missed.map(([name]) => `- \`${name}\` (${goalFor(name)?.goal ?? ''}): see "Why" below.`).join('\n'),
    '',
    ...(Object.keys(result.failures).length > 0
      ? [
          '## Sections that failed',
          '',
          ...Object.entries(result.failures).map(([n, m]) => `- ${n}: ${m}`),
          '',
        ]
      : []),
    WHY,
  ].join('\n');
}

function partialNote(machine: BenchResult['machine']): string {
  if (machine.sections === undefined || machine.previous === undefined) return '';
  return ` (sections ${machine.sections.join(', ')}); the other figures are from the run of ${machine.previous.date}${machine.previous.full ? ' with --full' : ''}`;
}

const WHY = `## Why

- **Bundle size** (≤ 250 KB per HTTP bundle, what init reads) — met by \`openapi\` (about
  43 KB of code; its document, built from the route table when the function is bundled, is a
  155 KB JSON file read once), missed by every \`api-*\` function and \`download\`
  (docs/decisions/0017). The route schemas are zod/mini now: zod in api-jobs went from 129 KB
  (zod classic with its JSON Schema and compiler modules stubbed, 0012) to 38 KB, and every
  function lost 92–106 KB. The SDK floor alone (\`bundle_kb.sdk_floor\`: the DynamoDB and KMS
  clients as our functions configure them, environment credentials, the same bundler) is about
  212 KB, near the ~225 KB the issue cites for such a handler, which leaves under 40 KB for
  everything else. api-jobs reads about 384 KB: the SDK about 215 KB (DynamoDB, KMS and the SQS
  client of the Art. 19 notices), Custos's own code about 63 KB, zod 38 KB, aws-jwt-verify 16 KB.
  The closest is api-orchestrations at about 301 KB; download carries the S3 client (99 KB).
  Already out: the credential chain (~90 KB, 0009) and the XLSX/ZIP libraries (about 1,360 KB,
  chunks loaded by \`import()\`). Next, not measured yet: clients carrying only the commands
  Custos sends, the notices' SQS client behind \`import()\`, or a goal stated against the floor.
  Marking the SDK external would meet the figure on paper while loading the same code from the
  runtime.
- **Init ratio** (≤ 1.3× \`init_ms.sdk_floor\`) — code run at start-up costs about 15 ms per
  100 KB on Lambda; the AWS SDK for JavaScript team's performance guidance
  (https://github.com/aws/aws-sdk-js-v3/blob/main/supplemental-docs/performance/README.md)
  recommends bundling only the clients used for that reason, and the lambda-perf project
  (https://github.com/maxday/lambda-perf, results at https://maxday.github.io/lambda-perf/)
  measures a nodejs24.x arm64 hello world at about 120 ms of init. The functions that miss carry
  more of the SDK than the floor (S3, SQS), zod/mini and their own code. This shared 2-core
  machine ran the cold_start section under the load average given by
  \`cold_start_load_avg_min\`/\`_max\` (other engineers' test runs), so absolute times are
  several times Lambda's; each function runs in turns with the floor and its ratio divides by
  those neighbouring runs, but rerun on a quiet machine before reading
  the ratios closely. Nothing loads undici or does network work at import, nor on an API function's
  first request (test/infra/function-bundles.test.ts); the clean-up cycle's first event loaded it
  only because the bench gave it an http:// queue URL (the SDK imports node:http for http
  endpoints, and on Node 24 that import loads undici): the bench now uses https endpoints, as AWS
  does, and a test holds the cycle to it.
- **DynamoDB calls per job operation** — a job read, update or create reads the organization,
  the caller's membership, the orchestration and (but for a create) the job in one BatchGetItem,
  then appends its audit event (a read that decrypted) or writes its one transaction: 2 calls.
  That holds when the instance already knows the job's orchestration (jobs it created, listed or
  read before; the id only, the orchestration itself is always read fresh); the first read of a
  job on an instance takes one more batched read, and so does a member with a custom role.
  **A warm list is 2, met**: the instance keeps the inputs of the caller's previous list decision
  (organization, membership, custom role, orchestration), queries the page on them, and the
  TransactWriteItems of its audit append carries one ConditionCheck per input, so a list decided
  on inputs that changed since is thrown away and decided again from a fresh read
  (docs/decisions/0017). \`calls.list_jobs_cold\` is a caller's first list on an instance: 3 (a
  batched read, the Query, the append; 4 with a custom role). Only the calls of the API function
  serving the request are counted: the audit sequencer and checkpoint consumer run in the same
  process on their own schedule. The first DynamoDB and KMS calls of a cold instance cannot run in
  parallel on these paths: the data key KMS unwraps is in the organization item the first read
  returns.
- **Retention and incident scope at scale** (run 2026-12-01, not in the table above until
  \`--only=retention_100k,incident_scope\` is rerun): the retention pass over 100k due jobs made
  0.03 DynamoDB requests per job (goal ≤ 0.06, met), at 739 items/s, peak RSS 368 MB; the incident
  scope of a 1-day window in a log of 200,001 audit events read exactly the window's 1,000 audit
  items, in 1,551 ms (230 ms scoped to one actor).
- **Load** — every audited write of one organization takes its turn on that organization's
  audit-chain head (docs/decisions/0002). The load benchmark gives each connection its own
  organization; ten connections writing into one organization measured about 7 requests/s on
  DynamoDB Local. Sharding the chain into lanes would lift that bound at the cost of a more
  involved verification; it is not built.
- **Deletion** — measured on an in-memory DynamoDB Local; the figure is the clean-up cycle's
  own cost, not a prediction of DynamoDB's.
`;
