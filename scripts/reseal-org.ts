/**
 * Operator command: re-seals every encrypted job value of one organization that names an older
 * data key version (after `POST /v1/orgs/{orgId}/keys/rotate`), without downtime. See
 * shared/use-cases/key-rotation.ts and docs/operations.md, "Rotate keys".
 *
 *   npm run reseal -- --org <orgId> [--operator <name>] [--page-size 100] [--batch-size 25]
 *
 * Runs with the deployment's environment (RECORDS_TABLE, AUDIT_TABLE, FIELD_KEY_ID, AWS
 * credentials, and AWS_ENDPOINT_URL_* against the local stack). Each batch commits with one
 * `org.key.reseal` audit event whose actor is `operator:<name>`. Idempotent: run it again after a
 * crash, or while it reports skipped jobs. Prints counts and ids only, never values.
 * Exit code 0 when nothing older is left, 1 when jobs were skipped or failed to open, 2 on bad usage.
 */
import { userInfo } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config.ts';
import { NotFoundError } from '../shared/domain/errors.ts';
import { newId } from '../shared/domain/ids.ts';
import * as services from '../shared/services.ts';
import { resealOrganization, type ResealReport } from '../shared/use-cases/key-rotation.ts';

class UsageError extends Error {}

const USAGE = 'usage: reseal --org <orgId> [--operator <name>] [--page-size 1-1000] [--batch-size 1-40]';

function positiveInteger(raw: string | undefined, name: string, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
  return value;
}

function summary(orgId: string, report: ResealReport): string {
  const lines = [
    `organization ${orgId}: ${report.jobsScanned} jobs scanned, ${report.jobsResealed} jobs (${report.valuesResealed} values) re-sealed under ${report.keyId}`,
  ];
  if (report.jobsSkipped.length > 0)
    lines.push(`skipped (changed during the sweep; run again): ${report.jobsSkipped.join(' ')}`);
  if (report.jobsFailed.length > 0)
    lines.push(`failed to open (moved or altered ciphertext; investigate): ${report.jobsFailed.join(' ')}`);
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        org: { type: 'string' },
        operator: { type: 'string' },
        'page-size': { type: 'string' },
        'batch-size': { type: 'string' },
      },
      strict: true,
    });
    if (values.org === undefined || values.org === '') throw new UsageError(USAGE);
    const pageSize = positiveInteger(values['page-size'], 'page-size', 1000);
    const batchSize = positiveInteger(values['batch-size'], 'batch-size', 40);
    const operator = values.operator ?? userInfo().username;
    const report = await resealOrganization(
      {
        orgs: services.orgs(),
        orchestrations: services.orchestrations(),
        jobs: services.jobs(),
        keys: services.keys(),
      },
      values.org,
      {
        actor: {
          userId: `operator:${operator}`,
          email: '',
          sourceIp: '',
          userAgent: 'custos-reseal',
          requestId: newId(),
        },
        ...(pageSize === undefined ? {} : { pageSize }),
        ...(batchSize === undefined ? {} : { batchSize }),
      },
    );
    process.stdout.write(`${summary(values.org, report)}\n`);
    return report.jobsSkipped.length === 0 && report.jobsFailed.length === 0 ? 0 : 1;
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      (error instanceof TypeError && 'code' in error)
    ) {
      process.stderr.write(`reseal: ${error.message}\n`);
      return 2;
    }
    if (error instanceof NotFoundError) {
      process.stderr.write('reseal: no active organization with this id\n');
      return 2;
    }
    // Names only: messages of lower layers may carry request data.
    process.stderr.write(
      `reseal: failed (${error instanceof Error ? error.name : 'unknown error'}); it is safe to run again\n`,
    );
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
