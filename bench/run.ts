/**
 * `npm run bench`: measures what Custos exists for on this machine and writes
 * bench/results/latest.json (not tracked), a table on stdout and docs/performance.md.
 * Small sizes by default (a few minutes); `--full` adds the 100k workloads.
 * `--only=a,b` runs some sections (see bench/sections.ts); every section not run keeps its figures
 * and its run date from bench/results/latest.json or, on a machine without one, from
 * docs/performance.md itself. `--render` runs nothing and writes the document again (after an edit
 * of bench/performance-notes.md or of the goals).
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { SECTIONS } from './sections.ts';
import {
  allMetrics,
  parsePerformanceDoc,
  renderPerformanceDoc,
  renderTable,
  type BenchResult,
  type SectionRun,
} from './report.ts';

const DOC = 'docs/performance.md';
const NOTES = 'bench/performance-notes.md';
const LATEST = 'bench/results/latest.json';

const full = process.argv.includes('--full');
const onlyArg = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const chosen = process.argv.includes('--render')
  ? []
  : onlyArg === undefined
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

const machine = `${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown'}, Node ${process.version}`;
const ran: Record<string, SectionRun> = {};
const failures: Record<string, string> = {};
for (const name of chosen) {
  const section = SECTIONS[name];
  if (section === undefined) {
    failures[name] = 'no such section';
    continue;
  }
  process.stdout.write(`bench: ${name} — ${section.workload} … `);
  const started = performance.now();
  const date = new Date().toISOString();
  try {
    ran[name] = { workload: section.workload, date, machine, full, metrics: await runSection(name) };
    process.stdout.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    failures[name] = error instanceof Error ? error.message : String(error);
    process.stdout.write(`failed (${failures[name]})\n`);
  }
}

/** The figures of the last run on this machine, or else those the committed document holds. */
async function previousResult(): Promise<BenchResult> {
  try {
    const latest = JSON.parse(await readFile(LATEST, 'utf8')) as Partial<BenchResult>;
    if (latest.sections !== undefined) return { sections: latest.sections, failures: {} };
  } catch {
    // No run on this machine yet: the document is the record.
  }
  return parsePerformanceDoc(await readFile(DOC, 'utf8'));
}

const previous = await previousResult();
// The sections in bench/sections.ts order, each from this run or else from the previous one.
const order = [...new Set([...Object.keys(SECTIONS), ...Object.keys(previous.sections)])];
const result: BenchResult = {
  sections: Object.fromEntries(
    order.flatMap((name) => {
      const run = ran[name] ?? previous.sections[name];
      return run === undefined ? [] : [[name, run] as const];
    }),
  ),
  failures,
};
await mkdir('bench/results', { recursive: true });
await writeFile(LATEST, JSON.stringify(result, null, 2) + '\n');
await writeFile(DOC, renderPerformanceDoc(result, await readFile(NOTES, 'utf8')));
process.stdout.write('\n' + renderTable(allMetrics({ sections: ran, failures }), allMetrics(result)) + '\n');
if (Object.keys(failures).length > 0) {
  process.stderr.write(
    `bench: ${Object.keys(failures).length} section(s) failed: ${Object.keys(failures).join(', ')}\n`,
  );
  process.exitCode = 1;
}
