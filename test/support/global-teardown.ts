/**
 * Stops the test stack that global-setup.ts started and removes its data directory. With
 * CUSTOS_IAM_REPORT=<file>, first writes the local IAM report of the run there (iam-report.ts).
 */
import { rm, writeFile } from 'node:fs/promises';
import { iamReport, readExercisedCalls } from '../../infra/local/iam/iam-report.ts';
import { LOCAL_IAM_ENV, readFunctionPolicies } from '../../infra/local/iam/local-iam.ts';
import { takeTestStack } from './test-stack.ts';

async function writeIamReport(file: string): Promise<void> {
  const policiesFile = process.env[LOCAL_IAM_ENV.policies];
  const callsFile = process.env[LOCAL_IAM_ENV.calls];
  if (policiesFile === undefined || callsFile === undefined) return;
  await writeFile(file, iamReport(readFunctionPolicies(policiesFile), readExercisedCalls(callsFile)));
}

const STOP_TIMEOUT_MS = 10_000;

export default async function globalTeardown(): Promise<void> {
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
