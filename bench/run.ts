/**
 * `npm run bench`: measures what Custos exists for on this machine and writes
 * bench/results/latest.json, a table on stdout and docs/performance.md.
 * Small sizes by default (a few minutes); `--full` adds the 100k workloads.
 * `--only=a,b` runs some sections (see bench/sections.ts) and keeps the other sections' figures
 * from the previous bench/results/latest.json; the document names the date of each.
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { SECTIONS } from './sections.ts';
import { renderPerformanceDoc, renderTable, type BenchResult } from './report.ts';

const full = process.argv.includes('--full');
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const chosen =
  onlyArg === undefined
    ? Object.keys(SECTIONS).filter((name) => full || SECTIONS[name]?.fullOnly !== true)
    : onlyArg.split(',');

function runSection(name: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/section.ts', name], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`exited with ${code ?? 'a signal'}`));
      else resolve(JSON.parse(last) as Record<string, number>);
    });
  });
}

const metrics: Record<string, number> = {};
const workloads: Record<string, string> = {};
const failures: Record<string, string> = {};
for (const name of chosen) {
  const section = SECTIONS[name];
  if (section === undefined) {
    failures[name] = 'no such section';
    continue;
  }
  process.stdout.write(`bench: ${name} — ${section.workload} … `);
  const started = performance.now();
  try {
    Object.assign(metrics, await runSection(name));
    workloads[name] = section.workload;
    process.stdout.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    failures[name] = error instanceof Error ? error.message : String(error);
    process.stdout.write(`failed (${failures[name]})\n`);
  }
}

async function previousResult(): Promise<BenchResult | undefined> {
  try {
    return JSON.parse(await readFile('bench/results/latest.json', 'utf8')) as BenchResult;
  } catch {
    return undefined;
  }
}

const previous = onlyArg === undefined ? undefined : await previousResult();
const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  date: new Date().toISOString(),
  full,
  ...(previous === undefined
    ? {}
    : { sections: chosen, previous: { date: previous.machine.date, full: previous.machine.full } }),
};
// Sections run now come first, in their own order; the previous run's figures follow for the rest.
const result: BenchResult = {
  machine,
  workloads: {
    ...workloads,
    ...Object.fromEntries(Object.entries(previous?.workloads ?? {}).filter(([name]) => !(name in workloads))),
  },
  metrics: {
    ...metrics,
    ...Object.fromEntries(Object.entries(previous?.metrics ?? {}).filter(([name]) => !(name in metrics))),
  },
  failures,
};
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/latest.json', JSON.stringify(result, null, 2) + '\n');
await writeFile('docs/performance.md', renderPerformanceDoc(result));
process.stdout.write('\n' + renderTable(result.metrics) + '\n');
if (Object.keys(failures).length > 0) {
  process.stderr.write(
    `bench: ${Object.keys(failures).length} section(s) failed: ${Object.keys(failures).join(', ')}\n`,
  );
  process.exitCode = 1;
}
