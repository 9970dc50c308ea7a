/**
 * `npm run bench`: measures what Custos exists for on this machine and writes
 * bench/results/latest.json, a table on stdout and docs/performance.md.
 * Small sizes by default (a few minutes); `--full` adds the 100k-row workloads.
 * `--only a,b` runs some sections (names below).
 */
import { cpus } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { runCallsBench } from './calls.bench.ts';
import { runColdStartBench } from './cold-start.bench.ts';
import { runFormatsBench } from './formats.bench.ts';
import { runKmsBench } from './kms.bench.ts';
import { renderPerformanceDoc, renderTable } from './report.ts';

type Metrics = Record<string, number>;

export interface Section {
  readonly name: string;
  readonly workload: string;
  readonly run: () => Promise<Metrics>;
}

const full = process.argv.includes('--full');
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const only = onlyArg === undefined ? undefined : new Set(onlyArg.split(','));

const withSuffix = (metrics: Metrics, suffix: string): Metrics => Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${k}${suffix}`, v]));

const SECTIONS: readonly Section[] = [
  { name: 'cold_start', workload: 'every function, median of 5 fresh processes', run: () => runColdStartBench(5) },
  { name: 'calls', workload: 'one warm request per operation through the local stack', run: runCallsBench },
  { name: 'kms', workload: '10,000 encrypted-field opens; seal+open vs raw AES-GCM, median of 5', run: runKmsBench },
  {
    name: 'formats',
    workload: full ? '10k and 100k rows, median of 3 child processes' : '10k rows, median of 3 child processes',
    run: async () => ({ ...(await runFormatsBench(10_000)), ...(full ? withSuffix(await runFormatsBench(100_000), '_100k') : {}) }),
  },
];

async function main(): Promise<void> {
  const metrics: Metrics = {};
  const workloads: Record<string, string> = {};
  const failures: Record<string, string> = {};
  for (const section of SECTIONS) {
    if (only !== undefined && !only.has(section.name)) continue;
    process.stdout.write(`bench: ${section.name} (${section.workload}) … `);
    const started = performance.now();
    try {
      Object.assign(metrics, await section.run());
      workloads[section.name] = section.workload;
      process.stdout.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    } catch (error) {
      failures[section.name] = error instanceof Error ? error.message : String(error);
      process.stdout.write(`failed: ${failures[section.name]}\n`);
    }
  }
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, date: new Date().toISOString(), full };
  const result = { machine, workloads, metrics, failures };
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/latest.json', JSON.stringify(result, null, 2) + '\n');
  await writeFile('docs/performance.md', renderPerformanceDoc(result));
  process.stdout.write('\n' + renderTable(metrics) + '\n');
  if (Object.keys(failures).length > 0) {
    process.stderr.write(`bench: ${Object.keys(failures).length} section(s) failed: ${Object.keys(failures).join(', ')}\n`);
    process.exitCode = 1;
  }
  // The local stack's clients keep sockets open; the figures are written, so end here.
  process.exit();
}

await main();
