/**
 * The benchmark sections. Each runs in a process of its own (bench/section.ts), so one section's
 * emulators, environment and memory never colour another's figures.
 */
import { runAuditBench } from './audit.bench.ts';
import { runCallsBench } from './calls.bench.ts';
import { runColdStartBench } from './cold-start.bench.ts';
import { runDeletionBench } from './deletion.bench.ts';
import { runFormatsBench } from './formats.bench.ts';
import { runKmsBench } from './kms.bench.ts';
import { runLoadBench } from './load.bench.ts';
import { runPortabilityBench } from './portability.bench.ts';

type Metrics = Record<string, number>;

export interface Section {
  readonly workload: (full: boolean) => string;
  readonly run: (full: boolean) => Promise<Metrics>;
}

const withSuffix = (metrics: Metrics, suffix: string): Metrics => Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${k}${suffix}`, v]));
const withPrefix = (metrics: Metrics, prefix: string): Metrics => Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${prefix}${k}`, v]));

/** Runs `measure` at 10k and, with --full, at 100k (figures of the large run end in `_100k`). */
async function smallAndLarge(full: boolean, measure: (size: number) => Promise<Metrics>): Promise<Metrics> {
  const small = await measure(10_000);
  return full ? { ...small, ...withSuffix(await measure(100_000), '_100k') } : small;
}

const sizes = (full: boolean): string => (full ? '10k and 100k' : '10k');

export const SECTIONS: Readonly<Record<string, Section>> = {
  cold_start: { workload: () => 'every function: bundle, then a fresh Node process imports it and handles a first event; median of 5', run: () => runColdStartBench(5) },
  calls: { workload: () => 'one warm request per operation through the local stack, AWS calls counted by SDK middleware', run: () => runCallsBench() },
  kms: { workload: () => '10,000 encrypted-field opens in one warm process; seal+open vs raw AES-256-GCM, median of 5', run: () => runKmsBench() },
  formats: {
    workload: (full) => `${sizes(full)} rows through our CSV/XLSX/AES-ZIP writers vs the bare libraries, median of 3 child processes`,
    run: (full) => smallAndLarge(full, runFormatsBench),
  },
  pipeline: {
    workload: (full) => `${sizes(full)} jobs exported (CSV, XLSX) and backed up (AES ZIP) end to end by the worker against the emulators`,
    run: async (full) => withPrefix(await smallAndLarge(full, runPortabilityBench), 'pipeline_'),
  },
  audit: { workload: () => 'audited vs bare writes on DynamoDB Local; chain throughput with 1, 4 and 16 writers in one organization', run: () => runAuditBench() },
  load: {
    workload: (full) => `mixed read/write load on the local stack over loopback, 10 connections for ${full ? 60 : 15} s`,
    run: (full) => runLoadBench({ seconds: full ? 60 : 15, connections: 10 }),
  },
  deletion: { workload: (full) => `organizations of ${sizes(full)} records erased by the clean-up cycle`, run: (full) => smallAndLarge(full, runDeletionBench) },
};
