import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ROUTES } from '../../shared/api/routes/index.ts';
import { routeKey } from '../../shared/api/route.ts';
import { emfLine, METRIC } from '../../shared/adapters/aws/metrics.ts';
import { FUNCTIONS, type FunctionSpec } from '../../infra/manifest.ts';
import { QUEUES } from '../../infra/resources.ts';
import { ROUTE_THROTTLES, routeSettingsFor } from '../../infra/stacks/route-throttles.ts';
import { ALL_FUNCTIONS, buildTestApp, type BuiltApp } from './custos-app.ts';

let built: BuiltApp;
let api: Template;

beforeAll(() => {
  built = buildTestApp({ allowedOrigins: ['https://app.custos.example'], cleanupScheduleMinutes: 15 });
  api = built.api;
});

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** The IAM statements attached to each function's role, keyed by function name. */
function statementsByFunction(): Map<string, Statement[]> {
  const roles = new Map<string, Statement[]>();
  const fns = api.findResources('AWS::Lambda::Function');
  const policies = Object.values(api.findResources('AWS::IAM::Policy'));
  for (const spec of ALL_FUNCTIONS) {
    const fn = built.stacks.api.functions.get(spec.name);
    expect(fn).toBeDefined();
    const [, resource] =
      Object.entries(fns).find(([, r]) => r.Properties.Description === spec.description) ?? [];
    const roleLogicalId = (resource?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = policies
      .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleLogicalId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    roles.set(spec.name, statements);
  }
  return roles;
}

const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const touches = (s: Statement, logicalIdFragment: string): boolean =>
  JSON.stringify(s.Resource).includes(logicalIdFragment);

describe('identity', () => {
  test('the user pool requires MFA by TOTP only, a strong password and threat protection', () => {
    api.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 14,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  test('the API client is public and uses the authorization-code flow only (PKCE on the client side)', () => {
    api.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      CallbackURLs: ['https://app.custos.example/auth/callback'],
    });
  });
});

describe('HTTP API', () => {
  test('the JWT authorizer checks the user pool issuer and the API client as audience', () => {
    api.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: Match.stringLikeRegexp('UserPoolApiClient') }],
        Issuer: {
          'Fn::Join': [
            '',
            Match.arrayWith([
              Match.stringLikeRegexp('https://cognito-idp.'),
              { Ref: Match.stringLikeRegexp('UserPool') },
            ]),
          ],
        },
      },
    });
  });

  test.each(ROUTES.map((r) => ({ key: `${r.method} ${r.path}`, auth: r.auth })))(
    '$key is routed with auth $auth',
    ({ key, auth }) => {
      api.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: key,
        AuthorizationType: auth === 'jwt' ? 'JWT' : 'NONE',
        AuthorizerId: auth === 'jwt' ? Match.anyValue() : Match.absent(),
      });
    },
  );

  test('no route exists that the route table does not declare', () => {
    expect(Object.keys(api.findResources('AWS::ApiGatewayV2::Route'))).toHaveLength(ROUTES.length);
  });

  test('the default stage throttles and writes JSON access logs without tokens or bodies', () => {
    api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
    });
    const [stage] = Object.values(api.findResources('AWS::ApiGatewayV2::Stage'));
    const format = JSON.parse(stage?.Properties.AccessLogSettings.Format as string) as Record<string, string>;
    for (const value of Object.values(format))
      expect(value).not.toMatch(/header|body|authorization|path|querystring/i);
  });

  test('routes from the throttle table are throttled below the stage default', () => {
    const [stage] = Object.values(api.findResources('AWS::ApiGatewayV2::Stage'));
    const defaults = stage?.Properties.DefaultRouteSettings as {
      ThrottlingRateLimit: number;
      ThrottlingBurstLimit: number;
    };
    const settings = stage?.Properties.RouteSettings as Record<
      string,
      { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }
    >;
    expect(Object.keys(settings).sort()).toEqual(Object.keys(ROUTE_THROTTLES).sort());
    for (const [key, throttle] of Object.entries(ROUTE_THROTTLES)) {
      expect(settings[key]).toEqual({
        ThrottlingRateLimit: throttle.rateLimit,
        ThrottlingBurstLimit: throttle.burstLimit,
      });
      expect(throttle.rateLimit).toBeLessThan(defaults.ThrottlingRateLimit);
      expect(throttle.burstLimit).toBeLessThan(defaults.ThrottlingBurstLimit);
    }
    // The download page and the creation of backups and exports are among them.
    expect(Object.keys(settings)).toEqual(
      expect.arrayContaining([
        'POST /v1/backups/{backupId}/download',
        'POST /v1/orgs/{orgId}/backups',
        'POST /v1/orgs/{orgId}/exports',
      ]),
    );
    // The stage names routes by key, so it must be deployed after them.
    expect((stage?.DependsOn as string[]).length).toBeGreaterThanOrEqual(Object.keys(ROUTE_THROTTLES).length);
  });

  test('a throttle for a route the route table does not declare is refused', () => {
    const keys = ROUTES.map(routeKey);
    expect(() =>
      routeSettingsFor(keys, {
        ...ROUTE_THROTTLES,
        'GET /v1/nowhere': { rateLimit: 1, burstLimit: 1, reason: 'probe' },
      }),
    ).toThrow(/GET \/v1\/nowhere/);
    expect(Object.keys(routeSettingsFor(keys))).toHaveLength(Object.keys(ROUTE_THROTTLES).length);
  });

  test('access logs go to a KMS-encrypted log group with retention', () => {
    const groups = Object.values(api.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBe(ALL_FUNCTIONS.length + 1);
    for (const group of groups) {
      expect(group.Properties.KmsKeyId).toBeDefined();
      expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  test('dev has no WAF or CloudFront unless enableWaf is set', () => {
    api.resourceCountIs('AWS::WAFv2::WebACL', 0);
    api.resourceCountIs('AWS::CloudFront::Distribution', 0);
  });

  test('dev: the user pool can be deleted with its stack, logs are kept a month', () => {
    api.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({ DeletionProtection: 'INACTIVE' }),
      DeletionPolicy: 'Delete',
    });
    for (const group of Object.values(api.findResources('AWS::Logs::LogGroup')))
      expect(group.Properties.RetentionInDays).toBe(30);
  });

  test('CORS admits only the configured origins', () => {
    api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://app.custos.example'] }),
    });
  });
});

describe('functions', () => {
  test.each(ALL_FUNCTIONS.map((f) => ({ name: f.name, spec: f })))(
    '$name: Node 24 on arm64, traced, JSON logs',
    ({ spec }) => {
      api.hasResourceProperties('AWS::Lambda::Function', {
        Description: spec.description,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: spec.memoryMb,
        Timeout: spec.timeoutSeconds,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      });
    },
  );

  test('API functions know the issuer and audience, and get the cursor secret only as a dynamic reference', () => {
    const apiFunctions = ALL_FUNCTIONS.filter((f) => f.routes.length > 0);
    expect(apiFunctions.length).toBeGreaterThan(0);
    for (const spec of apiFunctions) {
      api.hasResourceProperties('AWS::Lambda::Function', {
        Description: spec.description,
        Environment: {
          Variables: Match.objectLike({
            AUTH_ISSUER: Match.anyValue(),
            AUTH_AUDIENCE: { Ref: Match.stringLikeRegexp('UserPoolApiClient') },
            CURSOR_SECRET: Match.stringLikeRegexp(
              '^\\{\\{resolve:secretsmanager:custos/dev/cursor-secret:SecretString:::\\}\\}$',
            ),
          }),
        },
      });
    }
  });

  test('functions that serve no HTTP get no cursor secret: the audit log adapter seals no cursors', () => {
    for (const name of ['cleanup', 'audit-digest', 'audit-sequencer']) {
      const [fn] = Object.values(
        api.findResources('AWS::Lambda::Function', {
          Properties: { Description: FUNCTIONS.find((f) => f.name === name)?.description },
        }),
      );
      expect(fn).toBeDefined();
      expect(fn?.Properties.Environment.Variables).not.toHaveProperty('CURSOR_SECRET');
    }
  });

  test("the audit table's stream feeds the sequencer: batched, bisected on error, retried, then to an alarmed on-failure queue", () => {
    const spec = FUNCTIONS.find((f) => f.name === 'audit-sequencer')!;
    const logicalId = api.getResourceId('AWS::Lambda::Function', {
      Properties: { Description: spec.description },
    });
    api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId },
      EventSourceArn: Match.anyValue(),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: spec.streams?.batchSize,
      MaximumBatchingWindowInSeconds: spec.streams?.batchingWindowSeconds,
      ParallelizationFactor: spec.streams?.parallelizationFactor,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: spec.streams?.maxRetries,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('AuditSequencerStreamFailures'), 'Arn'] },
        },
      },
    });
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('AuditSequencerStreamFailures'), 'QueueName'] },
        },
      ],
      Threshold: 0,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmTopic') }],
    });
  });

  test('scheduled functions run at the rate from context, or their default', () => {
    api.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
    });
    api.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
    expect(Object.keys(api.findResources('AWS::Events::Rule'))).toHaveLength(
      ALL_FUNCTIONS.filter((f) => f.schedule).length,
    );
  });

  test('every consumer of a queue gets its lease from the manifest and may renew it (ChangeMessageVisibility)', () => {
    const consumers = ALL_FUNCTIONS.flatMap((spec) =>
      Object.entries(spec.access.queues ?? {})
        .filter(([, mode]) => mode !== 'send')
        .map(([queue]) => ({ spec, queue: queue as keyof typeof QUEUES })),
    );
    expect(consumers.map((c) => c.queue).sort()).toEqual(expect.arrayContaining(Object.keys(QUEUES).sort()));
    const statements = statementsByFunction();
    for (const { spec, queue } of consumers) {
      api.hasResourceProperties('AWS::Lambda::Function', {
        Description: spec.description,
        Environment: {
          Variables: Match.objectLike({ [QUEUES[queue].leaseEnvVar]: String(QUEUES[queue].leaseSeconds) }),
        },
      });
      expect(statements.get(spec.name)?.flatMap(actionsOf)).toContain('sqs:ChangeMessageVisibility');
    }
  });

  test('queue consumers report partial batch failures', () => {
    for (const spec of ALL_FUNCTIONS.filter((f) => f.consumes)) {
      api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: spec.consumes?.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    }
  });
});

describe('least privilege', () => {
  let statements: Map<string, Statement[]>;
  beforeAll(() => {
    statements = statementsByFunction();
  });

  test('no function has a wildcard action or an admin-style grant', () => {
    for (const [, list] of statements) {
      for (const action of list.flatMap(actionsOf)) {
        expect(action).not.toBe('*');
        expect(action).not.toMatch(/^[a-z0-9-]+:\*$/);
        expect(action).not.toMatch(/\*/);
      }
    }
  });

  test.each(ALL_FUNCTIONS.map((f) => ({ name: f.name, audit: f.access.audit })))(
    '$name (audit: $audit) may delete audit events only if it is declared a deleter',
    ({ name, audit }) => {
      const auditActions = (statements.get(name) ?? [])
        .filter((s) => touches(s, 'AuditTable'))
        .flatMap(actionsOf);
      const deletes = auditActions.some(
        (a) => a === 'dynamodb:DeleteItem' || a === 'dynamodb:BatchWriteItem',
      );
      expect(deletes).toBe(audit === 'delete');
      if (audit === 'append') expect(auditActions).not.toContain('dynamodb:UpdateItem');
      if (audit === undefined) expect(auditActions).toEqual([]);
    },
  );

  test.each(ALL_FUNCTIONS.map((f) => ({ name: f.name, records: f.access.records })))(
    '$name (records: $records) may delete records only if it is declared a deleter',
    ({ name, records }) => {
      const recordActions = (statements.get(name) ?? [])
        .filter((s) => touches(s, 'RecordsTable'))
        .flatMap(actionsOf);
      expect(recordActions.includes('dynamodb:DeleteItem')).toBe(records === 'delete');
      if (records === 'read')
        expect(
          recordActions.every((a) => /^dynamodb:(Get|BatchGet|Query)/.test(a) || a.startsWith('kms:')),
        ).toBe(true);
      if (records === undefined) expect(recordActions).toEqual([]);
    },
  );

  test('field-key use requires an organization encryption context; only generators may create data keys', () => {
    for (const spec of ALL_FUNCTIONS) {
      const fieldKey = (statements.get(spec.name) ?? []).filter((s) => touches(s, 'FieldKey'));
      if (spec.access.fieldKey === undefined) {
        expect(fieldKey).toEqual([]);
        continue;
      }
      for (const s of fieldKey)
        expect(s.Condition).toEqual({ Null: { 'kms:EncryptionContext:orgId': 'false' } });
      expect(fieldKey.flatMap(actionsOf).includes('kms:GenerateDataKey')).toBe(
        spec.access.fieldKey === 'generate',
      );
    }
  });

  test('files access stays under orgs/, and only deleters may delete objects', () => {
    for (const spec of ALL_FUNCTIONS) {
      const s3 = (statements.get(spec.name) ?? []).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('s3:')),
      );
      if (spec.access.files === undefined) {
        expect(s3).toEqual([]);
        continue;
      }
      for (const s of s3) {
        const resource = JSON.stringify(s.Resource);
        expect(resource.endsWith('/orgs/*"]]}') || JSON.stringify(s.Condition ?? {}).includes('orgs/*')).toBe(
          true,
        );
      }
      expect(s3.flatMap(actionsOf).includes('s3:DeleteObject')).toBe(spec.access.files === 'delete');
    }
  });

  test.each(ALL_FUNCTIONS.map((f) => ({ name: f.name, scans: f.access.scans ?? [] })))(
    '$name may Scan exactly the tables it declares ($scans)',
    ({ name, scans }) => {
      const scanned = (statements.get(name) ?? [])
        .filter((s) => actionsOf(s).includes('dynamodb:Scan'))
        .map((s) =>
          touches(s, 'RecordsTable')
            ? 'records'
            : touches(s, 'AuditTable')
              ? 'audit'
              : JSON.stringify(s.Resource),
        );
      expect(scanned.sort()).toEqual([...scans].sort());
    },
  );

  test('in the manifest, only the clean-up cycle (records table) may Scan: the audit digest finds organizations by their flagged heads', () => {
    const scanners = Object.fromEntries(
      FUNCTIONS.filter((f) => f.access.scans !== undefined).map((f) => [f.name, f.access.scans]),
    );
    expect(scanners).toEqual({ cleanup: ['records'] });
  });

  test('in the manifest, no function may update audit items: an event never changes after its append, its place is in its batch', () => {
    const updaters = FUNCTIONS.filter((f) =>
      (statements.get(f.name) ?? []).some(
        (s) => touches(s, 'AuditTable') && actionsOf(s).includes('dynamodb:UpdateItem'),
      ),
    );
    expect(updaters.map((f) => f.name)).toEqual([]);
  });

  test('a Scan of a table the function has no access to is refused at synth', () => {
    const careless: FunctionSpec = {
      ...FUNCTIONS.find((f) => f.name === 'openapi')!,
      name: 'careless',
      access: { scans: ['records'] },
    };
    expect(() => buildTestApp({}, { functions: [...ALL_FUNCTIONS, careless] })).toThrow(
      /careless scans records but declares no records access/,
    );
  });

  test('in the manifest, only the clean-up cycle may delete audit events', () => {
    const deleters = FUNCTIONS.filter((f) =>
      (statements.get(f.name) ?? []).some(
        (s) => touches(s, 'AuditTable') && actionsOf(s).some((a) => /DeleteItem|BatchWriteItem/.test(a)),
      ),
    );
    expect(deleters.map((f) => f.name)).toEqual(['cleanup']);
  });

  test('in the manifest, records are deleted only by the clean-up cycle and the routes that erase by contract', () => {
    // Erasing a job, a member, a role, an orchestration or a subject's jobs is a real delete
    // (GDPR Art. 17); a new deleter must be added here on purpose. api-requests: fulfilling an
    // erasure request runs the subject erasure.
    const deleters = FUNCTIONS.filter((f) =>
      (statements.get(f.name) ?? []).some(
        (s) => touches(s, 'RecordsTable') && actionsOf(s).some((a) => /DeleteItem|BatchWriteItem/.test(a)),
      ),
    );
    expect(deleters.map((f) => f.name).sort()).toEqual([
      'api-jobs',
      'api-orchestrations',
      'api-orgs',
      'api-requests',
      'api-subjects',
      'cleanup',
    ]);
  });

  /**
   * Actions IAM cannot scope to a resource, which read no data: a stream event source mapping needs
   * ListStreams (stream ARNs and table names), granted on `*` by the mapping; nothing else may be.
   */
  const UNSCOPABLE_METADATA_ACTIONS = ['dynamodb:ListStreams'];

  test('no data action is granted on every resource', () => {
    for (const [name, list] of statements) {
      for (const s of list.filter((st) =>
        actionsOf(st).some(
          (a) => /^(dynamodb|s3|sqs|kms|ses):/.test(a) && !UNSCOPABLE_METADATA_ACTIONS.includes(a),
        ),
      )) {
        expect({ name, resource: s.Resource }).not.toEqual({ name, resource: '*' });
        expect(JSON.stringify(s.Resource)).not.toMatch(/"\*"/);
      }
    }
  });

  test('only functions granted mail may send, and only from the configured sender', () => {
    for (const spec of ALL_FUNCTIONS) {
      const ses = (statements.get(spec.name) ?? []).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('ses:')),
      );
      expect(ses.length > 0).toBe(spec.access.mail === true);
      for (const s of ses)
        expect(s.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'no-reply@custos.example' } });
    }
  });
});

describe('alarms', () => {
  test.each(Object.keys(QUEUES))('the %s dead-letter queue alarms on its first message', (name) => {
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmDescription: Match.stringLikeRegexp(`${name} queue`),
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmTopic') }],
    });
  });

  test('every function alarms on errors and throttles', () => {
    const alarms = Object.values(api.findResources('AWS::CloudWatch::Alarm'));
    for (const metric of ['Errors', 'Throttles']) {
      expect(alarms.filter((a) => a.Properties.MetricName === metric)).toHaveLength(ALL_FUNCTIONS.length);
    }
  });

  test('the created alarm topic is encrypted and TLS-only', () => {
    api.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    api.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test.each([
    { fn: 'cleanup', metric: METRIC.cleanupCycleFailures },
    { fn: 'audit-digest', metric: METRIC.auditVerificationFailures },
    { fn: 'audit-sequencer', metric: METRIC.auditEventsRefused },
    { fn: 'cleanup', metric: METRIC.overdueRequests },
  ])('$fn: an alarm on $metric, the metric the function publishes', ({ fn, metric }) => {
    // The document the function writes (shared/adapters/aws/metrics.ts) names namespace and dimension.
    const emf = JSON.parse(emfLine({ [metric]: 1 }, 'fn', 0)) as {
      _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> };
    };
    const [directive] = emf._aws.CloudWatchMetrics;
    const logicalId = api.getResourceId('AWS::Lambda::Function', {
      Properties: { Description: FUNCTIONS.find((f) => f.name === fn)?.description },
    });
    api.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: directive?.Namespace,
      MetricName: metric,
      Dimensions: [{ Name: directive?.Dimensions[0]?.[0], Value: { Ref: logicalId } }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmTopic') }],
    });
  });
});

describe('dashboard', () => {
  test('one dashboard shows the API, the functions, the dead-letter queues, clean-up and audit verification', () => {
    const dashboards = Object.values(api.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]?.Properties.DashboardName).toBe('custos-dev');
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const expected of [
      '"4xx\\"',
      '"5xx\\"',
      '"Latency\\"',
      '"Errors\\"',
      '"Throttles\\"',
      '"Duration\\"',
      'ApproximateNumberOfMessagesVisible',
    ]) {
      expect(body).toContain(expected);
    }
    for (const metric of Object.values(METRIC)) expect(body).toContain(metric);
    // Every function appears on the function graphs; every alarm on the alarm widget.
    for (const logicalId of Object.keys(api.findResources('AWS::Lambda::Function')))
      expect(body).toContain(logicalId);
    for (const logicalId of Object.keys(api.findResources('AWS::CloudWatch::Alarm')))
      expect(body).toContain(logicalId);
  });
});
