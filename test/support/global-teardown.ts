/**
 * Checks the answers the test HTTP clients recorded against the OpenAPI document (contract.ts),
 * then stops the test stack that global-setup.ts started and removes its data directory. A
 * contract violation fails the run; operations no test reached count only when the whole suite ran.
 * With CUSTOS_IAM_REPORT=<file>, it first writes the local IAM report of the run there (iam-report.ts).
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { iamReport, readExercisedCalls } from '../../infra/local/iam/iam-report.ts';
import { LOCAL_IAM_ENV, readFunctionPolicies } from '../../infra/local/iam/local-iam.ts';
import { buildOpenApiDocument } from '../../shared/api/openapi.ts';
import { contractViolations, type OpenApiDocument } from './contract.ts';
import type { Exchange } from './contract-recorder.ts';
import { takeTestStack, TEST_ENV } from './test-stack.ts';

async function writeIamReport(file: string): Promise<void> {
  const policiesFile = process.env[LOCAL_IAM_ENV.policies];
  const callsFile = process.env[LOCAL_IAM_ENV.calls];
  if (policiesFile === undefined || callsFile === undefined) return;
  await writeFile(file, iamReport(readFunctionPolicies(policiesFile), readExercisedCalls(callsFile)));
}

const STOP_TIMEOUT_MS = 10_000;
/** The projects whose HTTP calls are recorded; all of them must run for the coverage check. */
const RECORDING_PROJECTS = ['integration', 'e2e', 'security'];

/** The part of jest's global config we read (typed here to avoid depending on @jest/types). */
interface JestGlobalConfig {
  readonly selectProjects?: readonly string[];
  readonly testPathPatterns?: { readonly patterns?: readonly string[] };
  readonly testNamePattern?: string;
  readonly onlyChanged?: boolean;
  readonly findRelatedTests?: boolean;
  readonly shard?: unknown;
}

/** `--selectProjects a b` from the command line: jest keeps it out of the global config it hands the teardown. */
function selectedOnCommandLine(argv: readonly string[]): string[] {
  const at = argv.findIndex((arg) => arg === '--selectProjects' || arg.startsWith('--selectProjects='));
  const flag = argv[at];
  if (flag === undefined) return [];
  if (flag.includes('=')) return flag.slice(flag.indexOf('=') + 1).split(',');
  const names: string[] = [];
  for (const arg of argv.slice(at + 1)) {
    if (arg.startsWith('-')) break;
    names.push(arg);
  }
  return names;
}

function isWholeSuite(config: JestGlobalConfig): boolean {
  const selected = config.selectProjects ?? selectedOnCommandLine(process.argv);
  return (
    (selected.length === 0 || RECORDING_PROJECTS.every((project) => selected.includes(project))) &&
    (config.testPathPatterns?.patterns ?? []).length === 0 &&
    (config.testNamePattern ?? '') === '' &&
    config.onlyChanged !== true &&
    config.findRelatedTests !== true &&
    config.shard === undefined
  );
}

async function recordedExchanges(dir: string): Promise<Exchange[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.jsonl')).sort();
  const exchanges: Exchange[] = [];
  for (const file of files) {
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n'))
      if (line !== '') exchanges.push(JSON.parse(line) as Exchange);
  }
  return exchanges;
}

async function checkContract(config: JestGlobalConfig): Promise<void> {
  const dir = process.env[TEST_ENV.contractDir];
  if (dir === undefined) return;
  const exchanges = await recordedExchanges(dir);
  const violations = contractViolations(buildOpenApiDocument() as OpenApiDocument, exchanges, {
    requireEveryOperation: isWholeSuite(config),
  });
  if (violations.length > 0) {
    throw new Error(
      `The service broke its OpenAPI contract (${exchanges.length} answers checked):\n  ${violations.join('\n  ')}`,
    );
  }
}

async function stopStack(): Promise<void> {
  const stack = takeTestStack();
  if (stack === undefined) return;
  const reportFile = process.env.CUSTOS_IAM_REPORT;
  if (reportFile !== undefined && reportFile !== '') await writeIamReport(reportFile);
  const child = stack.process;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  await rm(stack.dataDir, { recursive: true, force: true });
}

export default async function globalTeardown(config: JestGlobalConfig): Promise<void> {
  try {
    await checkContract(config);
  } finally {
    await stopStack();
  }
}
