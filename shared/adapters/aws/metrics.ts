/**
 * Business metrics of the scheduled functions, published by the CloudWatch Embedded Metric Format:
 * one JSON line on stdout, from which CloudWatch Logs extracts the metrics — no PutMetricData
 * call, no IAM permission, no latency. The CDK app alarms on these names (infra/stacks), so they
 * are declared here once. Counts only: never an id, a name or anything about a person.
 *
 * Written with process.stdout.write, not console.log: with Lambda's JSON log format console
 * output is wrapped in an envelope, and CloudWatch would no longer recognise the EMF document.
 */
export const METRICS_NAMESPACE = 'Custos';

/** The one dimension: the Lambda function's name, so stages and stacks never mix. */
export const METRICS_DIMENSION = 'FunctionName';

export const METRIC = {
  /** A clean-up run that threw (the Errors alarm sees it too; this one names the cause). */
  cleanupCycleFailures: 'CleanupCycleFailures',
  organizationsErased: 'OrganizationsErased',
  /** Organizations left for the next run (budget, another run's lease, or an error). */
  organizationsUnfinished: 'OrganizationsUnfinished',
  accountsErased: 'AccountsErased',
  expiredItemsDeleted: 'ExpiredItemsDeleted',
  malformedDeletionMessages: 'MalformedDeletionMessages',
  auditDigestsWritten: 'AuditDigestsWritten',
  auditDigestFailures: 'AuditDigestFailures',
  auditChainsVerified: 'AuditChainsVerified',
  auditEventsSequenced: 'AuditEventsSequenced',
  /**
   * Events the sequencer chained from the stream whose item was gone or already placed elsewhere:
   * deleted or moved before it was sequenced. Evidence of tampering; needs a human.
   */
  auditEventsRefused: 'AuditEventsRefused',
  /** A chain that did not verify: tampering, or a bug in the writer. Both need a human. */
  auditVerificationFailures: 'AuditVerificationFailures',
  /** Open data subject requests past their due date (Art. 12(3)), counted by each clean-up run. */
  overdueRequests: 'OverdueRequests',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
export type MetricValues = Partial<Record<MetricName, number>>;

/** The EMF document for `values`, all as counts. */
export function emfLine(values: MetricValues, functionName: string, timestamp: number): string {
  const names = Object.keys(values) as MetricName[];
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [[METRICS_DIMENSION]],
          Metrics: names.map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    },
    [METRICS_DIMENSION]: functionName,
    ...values,
  });
}

/**
 * Writes the values as one EMF line. Only inside Lambda (where CloudWatch Logs reads stdout):
 * locally and in tests nothing would turn the line into a metric, it would only be noise.
 */
export function emitMetrics(
  values: MetricValues,
  write: (line: string) => void = (line) => process.stdout.write(line),
): void {
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
  if (functionName === undefined || Object.keys(values).length === 0) return;
  write(`${emfLine(values, functionName, Date.now())}\n`);
}
