/**
 * The stateless half of Custos: identity (Cognito), the HTTP API, one function per manifest entry
 * with exactly the access it declares, schedules, queue consumers, alarms, the dashboard and,
 * behind `enableWaf`, AWS WAF. Nothing here holds data, so the stack can be destroyed and
 * redeployed without loss. Every function, route, schedule and consumer comes from
 * infra/manifest.ts; this file has no per-function code.
 */
import {
  Aws,
  CfnRule,
  Duration,
  Fn,
  SecretValue,
  Stack,
  Token,
  Validations,
  type StackProps,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CfnStage,
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  OAuthScope,
  ProviderAttribute,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolClientIdentityProvider,
  UserPoolIdentityProviderOidc,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { CustosFunction, type BindableResources } from '../constructs/custos-function.ts';
import { EdgeProtection } from '../constructs/edge-protection.ts';
import type { FunctionCode } from '../constructs/function-bundles.ts';
import { functionMetric, OperationsDashboard } from '../constructs/operations-dashboard.ts';
import { METRIC, type MetricName } from '../../shared/adapters/aws/metrics.ts';
import { FUNCTIONS, type FunctionSpec } from '../manifest.ts';
import { QUEUES } from '../resources.ts';
import { ROUTES } from '../../shared/api/routes/index.ts';
import { routeKey } from '../../shared/api/route.ts';
import { cursorSecretName, filesBucketName, type DataStack } from './data-stack.ts';
import { ROUTE_THROTTLES, routeSettingsFor } from './route-throttles.ts';
import type { StageConfig } from './stage-config.ts';

export interface ApiStackProps extends StackProps {
  readonly config: StageConfig;
  readonly data: DataStack;
  /** The code of each function: the esbuild bundles in the app (function-bundles.ts). */
  readonly code: FunctionCode;
  /** Overrides the manifest (tests use it to prove the wiring is generic). */
  readonly functions?: readonly FunctionSpec[];
}

/**
 * Access log line: who asked for which route and what came back. No path (it carries ids), no
 * query string, no headers (tokens), no bodies (personal data).
 */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  requestTime: '$context.requestTimeEpoch',
  sourceIp: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
});

/**
 * Alarms on metrics the functions publish themselves (shared/adapters/aws/metrics.ts), beyond the
 * errors, throttles and dead letters every function and queue gets.
 */
const PUBLISHED_METRIC_ALARMS: ReadonlyArray<{
  readonly fn: string;
  readonly metric: MetricName;
  readonly description: string;
}> = [
  {
    fn: 'cleanup',
    metric: METRIC.cleanupCycleFailures,
    description:
      'A clean-up cycle failed: erasure and expiry stopped until a run succeeds (docs/operations.md, "Clean-up cycle")',
  },
  {
    fn: 'audit-digest',
    metric: METRIC.auditVerificationFailures,
    description:
      'An audit chain did not verify at its review: possible tampering (the function log names the organization)',
  },
  {
    fn: 'audit-sequencer',
    metric: METRIC.auditEventsRefused,
    description:
      'The audit sequencer found events gone or moved before it could sequence them: possible tampering (verification names the position)',
  },
  {
    fn: 'cleanup',
    metric: METRIC.overdueRequests,
    description:
      'A data subject request is past its due date (GDPR Art. 12(3)): answer, reject or extend it (docs/operations.md, "Data subject requests")',
  },
];

export class ApiStack extends Stack {
  readonly userPool: UserPool;
  readonly apiClient: UserPoolClient;
  readonly httpApi: HttpApi;
  readonly functions: ReadonlyMap<string, CustosFunction>;
  readonly alarmTopic: ITopic;
  readonly dashboard: OperationsDashboard;
  /** Present when `enableWaf` is on. */
  readonly edge: EdgeProtection | undefined;
  private readonly alarms: Alarm[] = [];
  /** Where each stream consumer's failed batches go (by function name). */
  private readonly streamFailureQueues = new Map<string, Queue>();

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const specs = props.functions ?? FUNCTIONS;

    // One key for operational data: log groups (functions and access logs) and the alarm topic.
    const operationsKey = new Key(this, 'OperationsKey', {
      description: `Custos ${config.stage}: encrypts log groups and the alarm topic`,
      alias: `alias/custos-operations-${config.stage}`,
      enableKeyRotation: true,
    });
    operationsKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );

    this.alarmTopic = this.createAlarmTopic(config, operationsKey);
    const { userPool, client } = this.createIdentity(config);
    this.userPool = userPool;
    this.apiClient = client;
    const issuer = `https://cognito-idp.${Aws.REGION}.amazonaws.com/${userPool.userPoolId}`;

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: config.logRetention,
      encryptionKey: operationsKey,
    });
    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `custos-${config.stage}`,
      description: 'Custos HTTP API',
      createDefaultStage: false,
      corsPreflight:
        config.allowedOrigins.length === 0
          ? undefined
          : {
              allowOrigins: [...config.allowedOrigins],
              allowMethods: [
                CorsHttpMethod.GET,
                CorsHttpMethod.POST,
                CorsHttpMethod.PUT,
                CorsHttpMethod.PATCH,
                CorsHttpMethod.DELETE,
              ],
              allowHeaders: ['authorization', 'content-type'],
              maxAge: Duration.hours(1),
            },
    });
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: config.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
    });
    const jwtAuthorizer = new HttpJwtAuthorizer('CognitoJwt', issuer, {
      jwtAudience: [client.userPoolClientId],
      identitySource: ['$request.header.Authorization'],
    });

    this.edge = config.enableWaf ? this.createEdgeProtection(config) : undefined;

    // Functions read their bucket by its derived name so their policies stay within this stack.
    const filesBucket = Bucket.fromBucketAttributes(this, 'FilesBucket', {
      bucketName: filesBucketName(config.stage),
      encryptionKey: data.files.key,
    });
    const resources: BindableResources = {
      tables: data.tables,
      queues: data.queues,
      files: { bucket: filesBucket, key: data.files.key },
      fieldKey: data.fieldKey,
      auditSigningKey: data.auditSigningKey,
      mail: {
        from: config.mailFrom,
        identityArn: this.formatArn({
          service: 'ses',
          resource: 'identity',
          resourceName: config.mailIdentity,
        }),
      },
    };
    // Links in emails go through the WAF when there is one.
    const publicBaseUrl = config.publicBaseUrl ?? this.edge?.url ?? this.httpApi.apiEndpoint;
    // A dynamic reference: CloudFormation resolves it at deploy time, the template holds only the name.
    const cursorSecret = SecretValue.secretsManager(cursorSecretName(config.stage)).unsafeUnwrap();

    const functions = new Map<string, CustosFunction>();
    for (const spec of specs) {
      const serveHttp = spec.routes.length > 0;
      const fn = new CustosFunction(this, pascal(spec.name), {
        spec,
        code: props.code(spec),
        logKey: operationsKey,
        logRetention: config.logRetention,
        environment: {
          PUBLIC_BASE_URL: publicBaseUrl,
          ...(serveHttp
            ? {
                // The same issuer and client the API's JWT authorizer checks: defence in depth.
                AUTH_ISSUER: issuer,
                AUTH_AUDIENCE: client.userPoolClientId,
                AUTH_AUDIENCE_CLAIM: 'client_id',
                AUTH_TOKEN_USE: 'access',
              }
            : {}),
          // API cursors are sealed with it; only functions that serve HTTP hand out cursors.
          ...(serveHttp ? { CURSOR_SECRET: cursorSecret } : {}),
        },
      });
      fn.bindAccess(resources);
      functions.set(spec.name, fn);
      this.wireTriggers(fn, config, resources);
      this.alarmOn(fn);
    }
    this.functions = functions;

    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const route of ROUTES) {
      const fn = functions.get(route.fn);
      if (fn === undefined)
        throw new Error(
          `Route ${routeKey(route)} names function ${route.fn}, which infra/manifest.ts does not declare`,
        );
      let integration = integrations.get(route.fn);
      if (integration === undefined) {
        integration = new HttpLambdaIntegration(`${pascal(route.fn)}Integration`, fn);
        integrations.set(route.fn, integration);
      }
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer: route.auth === 'jwt' ? jwtAuthorizer : new HttpNoneAuthorizer(),
      });
      // Route settings name the route by its key: the route must exist before the stage names it.
      if (ROUTE_THROTTLES[routeKey(route)] !== undefined && created !== undefined)
        stage.node.addDependency(created);
      if (route.auth === 'none' && created !== undefined) {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${routeKey(route)} is public by contract (shared/api/routes: auth 'none'); it serves no tenant data.`,
        });
      }
    }

    (stage.node.defaultChild as CfnStage).routeSettings = routeSettingsFor(ROUTES.map(routeKey));

    for (const [name, queue] of Object.entries(data.queues)) {
      this.alarm(
        `${pascal(name)}DeadLetters`,
        queue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        `Messages of the ${name} queue failed ${QUEUES[name as keyof typeof QUEUES].maxReceiveCount} times and wait in its dead-letter queue`,
      );
    }

    for (const { fn: name, metric, description } of PUBLISHED_METRIC_ALARMS) {
      this.alarm(metric, functionMetric(requireFunction(functions, name), metric), description);
    }

    this.dashboard = new OperationsDashboard(this, 'Operations', {
      stage: config.stage,
      httpApi: this.httpApi,
      functions,
      deadLetterQueues: new Map([
        ...Object.entries(data.queues).map(([name, q]) => [name, q.deadLetterQueue] as const),
        ...[...this.streamFailureQueues].map(([name, q]) => [`${name} stream`, q] as const),
      ]),
      cleanup: requireFunction(functions, 'cleanup'),
      auditDigest: requireFunction(functions, 'audit-digest'),
      auditSequencer: requireFunction(functions, 'audit-sequencer'),
      alarms: this.alarms,
    });
  }

  /**
   * CloudFront + WAF in front of the API, WAF on the user pool (see edge-protection.ts). A
   * CLOUDFRONT web ACL exists only in us-east-1: a stack pinned elsewhere fails the synth, an
   * environment-agnostic one carries a template rule that fails the deployment elsewhere.
   */
  private createEdgeProtection(config: StageConfig): EdgeProtection {
    if (!Token.isUnresolved(this.region) && this.region !== 'us-east-1') {
      throw new Error(
        `enableWaf needs the stack in us-east-1 (CloudFront web ACLs live there), not ${this.region}; see docs/operations.md`,
      );
    }
    new CfnRule(this, 'WafNeedsUsEast1', {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.REGION, 'us-east-1'),
          assertDescription:
            'enableWaf: the CloudFront web ACL must be created in us-east-1 (see docs/operations.md)',
        },
      ],
    });
    return new EdgeProtection(this, 'Edge', {
      stage: config.stage,
      httpApi: this.httpApi,
      userPool: this.userPool,
      requestsPerIpPer5Minutes: config.wafRequestsPerIpPer5Minutes,
    });
  }

  private createIdentity(config: StageConfig): { userPool: UserPool; client: UserPoolClient } {
    const userPool = new UserPool(this, 'UserPool', {
      userPoolName: `custos-${config.stage}`,
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      autoVerify: { email: true },
      mfa: Mfa.REQUIRED,
      // TOTP only: SMS codes can be intercepted (SIM swap) and are no second factor worth having.
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 5,
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: config.isProd,
      removalPolicy: config.removalPolicy,
    });
    const providers = [UserPoolClientIdentityProvider.COGNITO];
    let federation: UserPoolIdentityProviderOidc | undefined;
    if (config.oidcFederation !== undefined) {
      const oidc = config.oidcFederation;
      federation = new UserPoolIdentityProviderOidc(this, 'CorporateDirectory', {
        userPool,
        name: oidc.name,
        issuerUrl: oidc.issuer,
        clientId: oidc.clientId,
        // Dynamic reference: the secret's value never appears in the template.
        clientSecret: SecretValue.secretsManager(oidc.clientSecretArn).unsafeUnwrap(),
        scopes: ['openid', 'email', 'profile'],
        attributeMapping: { email: ProviderAttribute.other('email') },
      });
      providers.push(UserPoolClientIdentityProvider.custom(federation.providerName));
    }
    userPool.addDomain('HostedDomain', {
      cognitoDomain: { domainPrefix: `custos-${config.stage}-${Aws.ACCOUNT_ID}` },
    });
    const client = userPool.addClient('ApiClient', {
      userPoolClientName: `custos-${config.stage}-api`,
      // A public client (browser or CLI): no secret it could not keep; the code flow with PKCE.
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [...config.oauthCallbackUrls],
        logoutUrls: [...config.oauthLogoutUrls],
      },
      supportedIdentityProviders: providers,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.minutes(60),
      idTokenValidity: Duration.minutes(60),
      refreshTokenValidity: Duration.days(30),
    });
    if (federation !== undefined) client.node.addDependency(federation);
    return { userPool, client };
  }

  private createAlarmTopic(config: StageConfig, key: Key): ITopic {
    if (config.alarmTopicArn !== undefined)
      return Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn);
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    return new Topic(this, 'AlarmTopic', {
      topicName: `custos-${config.stage}-alarms`,
      masterKey: key,
      enforceSSL: true,
    });
  }

  /** EventBridge schedules, SQS consumers and DynamoDB stream consumers, all from the function's spec. */
  private wireTriggers(fn: CustosFunction, config: StageConfig, resources: BindableResources): void {
    const { spec } = fn;
    if (spec.schedule !== undefined) {
      const minutes = config.scheduleMinutes(spec.schedule.contextKey, spec.schedule.defaultMinutes);
      const rule = new Rule(this, `${pascal(spec.name)}Schedule`, {
        description: `Runs ${spec.name} every ${minutes} minutes`,
        schedule: Schedule.rate(Duration.minutes(minutes)),
        targets: [new LambdaFunction(fn, { retryAttempts: 2 })],
      });
      Validations.of(rule).acknowledge({
        id: 'Serverless-EventBusDLQ',
        reason: `A schedule tick carries no data: an undelivered one only delays ${spec.name} to the next tick (${minutes} min), whose run resumes from its checkpoints.`,
      });
    }
    if (spec.consumes !== undefined) {
      const declared = QUEUES[spec.consumes.queue];
      // A batch still in flight must never become visible again (resources.ts: at least 6×).
      if (declared.visibilityTimeoutSeconds < 6 * spec.timeoutSeconds) {
        throw new Error(
          `Queue ${spec.consumes.queue}: visibility timeout must be ≥ 6 × the timeout of ${spec.name}`,
        );
      }
      fn.addEventSource(
        new SqsEventSource(resources.queues[spec.consumes.queue].queue, {
          batchSize: spec.consumes.batchSize,
          reportBatchItemFailures: true,
        }),
      );
      Validations.of(fn).acknowledge({
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason: `SQS event source mappings support no on-failure destination; the ${spec.consumes.queue} queue's redrive policy moves failed messages to its alarmed dead-letter queue.`,
      });
    }
    if (spec.streams !== undefined) this.wireStream(fn, spec.streams, resources);
  }

  /**
   * A table's stream feeds the function (the audit sequencer): batches of up to `batchSize`
   * records gathered for up to `batchingWindowSeconds`, a failing batch bisected and retried
   * `maxRetries` times, then its description (shard and sequence numbers, no item data) goes to an
   * on-failure queue whose first message raises an alarm. The mapping grants the stream read.
   */
  private wireStream(
    fn: CustosFunction,
    stream: NonNullable<FunctionSpec['streams']>,
    resources: BindableResources,
  ): void {
    const id = pascal(fn.spec.name);
    const failures = new Queue(this, `${id}StreamFailures`, {
      // Failure records name shard and sequence numbers only; SQS-managed encryption suffices.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(failures).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: `The on-failure destination of ${fn.spec.name}'s stream is the end of the line: its first message raises an alarm and an operator replays the batch it names (docs/operations.md).`,
    });
    Validations.of(failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter destination of ${fn.spec.name}'s stream mapping.`,
    });
    fn.addEventSource(
      new DynamoEventSource(resources.tables[stream.table].table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: stream.batchSize,
        maxBatchingWindow: Duration.seconds(stream.batchingWindowSeconds),
        parallelizationFactor: stream.parallelizationFactor,
        bisectBatchOnError: true,
        retryAttempts: stream.maxRetries,
        onFailure: new SqsDlq(failures),
      }),
    );
    this.alarm(
      `${id}StreamFailures`,
      failures.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      `A batch of the ${stream.table} table's stream failed ${stream.maxRetries} retries in ${fn.spec.name}: its events wait unsequenced (docs/operations.md)`,
    );
    this.streamFailureQueues.set(fn.spec.name, failures);
  }

  private alarmOn(fn: CustosFunction): void {
    const id = pascal(fn.spec.name);
    const period = Duration.minutes(5);
    this.alarm(`${id}Errors`, fn.metricErrors({ period, statistic: 'Sum' }), `${fn.spec.name} raised errors`);
    this.alarm(
      `${id}Throttles`,
      fn.metricThrottles({ period, statistic: 'Sum' }),
      `${fn.spec.name} was throttled`,
    );
  }

  /** An alarm that fires as soon as the metric is above zero, and tells the alarm topic. */
  private alarm(id: string, metric: IMetric, description: string): Alarm {
    const alarm = new Alarm(this, `${id}Alarm`, {
      metric,
      alarmDescription: description,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
    return alarm;
  }
}

const pascal = (name: string): string =>
  name.replace(/(^|-)([a-z0-9])/g, (_m, _sep: string, c: string) => c.toUpperCase());

function requireFunction(functions: ReadonlyMap<string, CustosFunction>, name: string): CustosFunction {
  const fn = functions.get(name);
  if (fn === undefined)
    throw new Error(`Alarms and the dashboard need function ${name}, which the manifest does not declare`);
  return fn;
}
