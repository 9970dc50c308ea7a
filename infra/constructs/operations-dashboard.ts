/**
 * One CloudWatch dashboard per stage, laid out in the order an operator asks the questions: is
 * the API answering (4xx/5xx, latency), are the functions healthy (errors, throttles, duration),
 * is anything stuck (dead-letter queues), is erasure keeping up (clean-up cycle results), is the
 * audit log intact (digests and their verification), and which alarms are firing.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  Metric,
  TextWidget,
  type IAlarm,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  METRIC,
  METRICS_DIMENSION,
  METRICS_NAMESPACE,
  type MetricName,
} from '../../shared/adapters/aws/metrics.ts';

export interface OperationsDashboardProps {
  readonly stage: string;
  readonly httpApi: HttpApi;
  readonly functions: ReadonlyMap<string, IFunction>;
  readonly deadLetterQueues: ReadonlyMap<string, IQueue>;
  readonly cleanup: IFunction;
  readonly auditDigest: IFunction;
  readonly auditSequencer: IFunction;
  readonly alarms: readonly IAlarm[];
}

const PERIOD = Duration.minutes(5);

/** A metric a function publishes through shared/adapters/aws/metrics.ts. */
export function functionMetric(fn: IFunction, name: MetricName, period: Duration = PERIOD): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [METRICS_DIMENSION]: fn.functionName },
    statistic: 'Sum',
    period,
  });
}

export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { httpApi } = props;
    const perFunction = (metric: (fn: IFunction) => IMetric): IMetric[] =>
      [...props.functions.values()].map(metric);
    const graph = (title: string, left: IMetric[], width = 8): GraphWidget =>
      new GraphWidget({ title, left, width, height: 6 });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `custos-${props.stage}`,
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Custos ${props.stage}\nRunbook: docs/operations.md in the repository.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('API requests', [httpApi.metricCount({ period: PERIOD, statistic: 'Sum' })]),
      graph('API 4xx and 5xx', [
        httpApi.metricClientError({ period: PERIOD, statistic: 'Sum' }),
        httpApi.metricServerError({ period: PERIOD, statistic: 'Sum' }),
      ]),
      graph('API latency p50 / p99 (ms)', [
        httpApi.metricLatency({ period: PERIOD, statistic: 'p50' }),
        httpApi.metricLatency({ period: PERIOD, statistic: 'p99' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Function errors',
        perFunction((fn) => fn.metricErrors({ period: PERIOD, statistic: 'Sum' })),
      ),
      graph(
        'Function throttles',
        perFunction((fn) => fn.metricThrottles({ period: PERIOD, statistic: 'Sum' })),
      ),
      graph(
        'Function duration p99 (ms)',
        perFunction((fn) => fn.metricDuration({ period: PERIOD, statistic: 'p99' })),
      ),
    );
    const cleanup = (name: MetricName): Metric => functionMetric(props.cleanup, name);
    const audit = (name: MetricName): Metric => functionMetric(props.auditDigest, name);
    const sequencer = (name: MetricName): Metric => functionMetric(props.auditSequencer, name);
    this.dashboard.addWidgets(
      graph(
        'Dead-letter queue depths',
        [...props.deadLetterQueues.entries()].map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: 'Maximum',
            label: name,
          }),
        ),
      ),
      graph('Clean-up cycles', [
        cleanup(METRIC.organizationsErased),
        cleanup(METRIC.organizationsUnfinished),
        cleanup(METRIC.accountsErased),
        cleanup(METRIC.expiredItemsDeleted),
        cleanup(METRIC.malformedDeletionMessages),
        cleanup(METRIC.cleanupCycleFailures),
        cleanup(METRIC.overdueRequests),
      ]),
      graph('Audit digests and verification', [
        audit(METRIC.auditDigestsWritten),
        audit(METRIC.auditChainsVerified),
        audit(METRIC.auditDigestFailures),
        audit(METRIC.auditVerificationFailures),
      ]),
      graph('Audit sequencing', [
        sequencer(METRIC.auditEventsSequenced),
        sequencer(METRIC.auditDigestsWritten),
        sequencer(METRIC.auditEventsRefused),
      ]),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 6 }),
    );
  }
}
