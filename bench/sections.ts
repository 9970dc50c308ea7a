/**
 * The benchmark sections. Each runs in a process of its own (bench/section.ts), so one section's
 * emulators, environment and memory never colour another's figures.
 */
import { runAuditBench } from './audit.bench.ts';
import { runCallsBench } from './calls.bench.ts';
import { runColdStartBench } from './cold-start.bench.ts';
import { runDeletionBench } from './deletion.bench.ts';
import { runFormatsBench } from './formats.bench.ts';
import { runIncidentScopeBench } from './incident-scope.bench.ts';
import { runKmsBench } from './kms.bench.ts';
import { runLoadBench } from './load.bench.ts';
import { runPortabilityBench } from './portability.bench.ts';
import { runRetentionBench } from './retention.bench.ts';

type Metrics = Record<string, number>;

export interface Section {
  readonly workload: string;
  /** Only with --full (the 100k workloads). */
  readonly fullOnly?: boolean;
  readonly run: () => Promise<Metrics>;
}

const withSuffix = (metrics: Metrics, suffix: string): Metrics =>
  Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${k}${suffix}`, v]));
const withPrefix = (metrics: Metrics, prefix: string): Metrics =>
  Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${prefix}${k}`, v]));

export const SECTIONS: Readonly<Record<string, Section>> = {
  cold_start: {
    workload:
      'every function: bundle, then a fresh Node process imports it and handles a first event; median of 5',
    run: () => runColdStartBench(5),
  },
  calls: {
    workload: 'one warm request per operation through the local stack, AWS calls counted by SDK middleware',
    run: () => runCallsBench(),
  },
  kms: {
    workload: '10,000 encrypted-field opens in one warm process; seal+open vs raw AES-256-GCM, median of 5',
    run: () => runKmsBench(),
  },
  formats: {
    workload:
      '10k rows through our CSV/XLSX/AES-ZIP writers vs the bare libraries, median of 3 child processes',
    run: () => runFormatsBench(10_000),
  },
  formats_100k: {
    workload: 'the same with 100k rows (figures end in _100k)',
    fullOnly: true,
    run: async () => withSuffix(await runFormatsBench(100_000), '_100k'),
  },
  pipeline: {
    workload:
      '10k jobs exported (CSV, XLSX) and backed up (AES ZIP) end to end by the worker against the emulators',
    run: async () => withPrefix(await runPortabilityBench(10_000), 'pipeline_'),
  },
  pipeline_100k: {
    workload: 'the same with 100k jobs (figures end in _100k)',
    fullOnly: true,
    run: async () => withSuffix(withPrefix(await runPortabilityBench(100_000), 'pipeline_'), '_100k'),
  },
  audit: {
    workload:
      'audited vs bare writes on DynamoDB Local, side by side with 16 and 64 writers in one organization; the stream-fed sequencer running and signing checkpoints',
    run: () => runAuditBench(),
  },
  incident_scope: {
    workload:
      'the scope of a 1-day window in an organization of 200k audit events over 200 days, events keyed by time in the audit table',
    run: () => runIncidentScopeBench(),
  },
  load: {
    workload: 'mixed read/write load on the local stack over loopback, 10 connections for 15 s',
    run: () => runLoadBench({ seconds: 15, connections: 10 }),
  },
  deletion: {
    workload: 'an organization of 10k records erased by the clean-up cycle',
    run: () => runDeletionBench(10_000),
  },
  deletion_100k: {
    workload: 'an organization of 100k records (figures end in _100k)',
    fullOnly: true,
    run: async () => withSuffix(await runDeletionBench(100_000), '_100k'),
  },
  retention: {
    workload: '10k due jobs of one orchestration erased by the retention pass of the clean-up cycle',
    run: () => runRetentionBench(10_000),
  },
  retention_100k: {
    workload: 'the same with 100k due jobs (figures end in _100k)',
    fullOnly: true,
    run: async () => withSuffix(await runRetentionBench(100_000), '_100k'),
  },
};
