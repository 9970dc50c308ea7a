/**
 * The prod stage with every option on (WAF, OIDC federation, a given alarm topic): one synth for
 * the file. The dev stage's defaults are asserted in api-stack.test.ts and data-stack.test.ts.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { FUNCTIONS } from '../../infra/manifest.ts';
import { buildTestApp } from './custos-app.ts';

const ALARM_TOPIC = 'arn:aws:sns:us-east-1:123456789012:ops';
const CLIENT_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:corp-oidc-AbCdEf';
const PROD_CONTEXT = {
  stage: 'prod',
  allowedOrigins: ['https://app.custos.example'],
  alarmTopicArn: ALARM_TOPIC,
  enableWaf: true,
  wafRateLimit: 1500,
  oidcFederation: {
    name: 'Corp',
    issuer: 'https://login.corp.example',
    clientId: 'custos',
    clientSecretArn: CLIENT_SECRET_ARN,
  },
};

let api: Template;

beforeAll(() => {
  api = buildTestApp(PROD_CONTEXT).api;
});

describe('stage prod', () => {
  test('the user pool is deletion-protected and retained', () => {
    api.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({ DeletionProtection: 'ACTIVE' }),
      DeletionPolicy: 'Retain',
    });
  });

  test('logs are kept a year and the stage throttles at the prod rate', () => {
    for (const group of Object.values(api.findResources('AWS::Logs::LogGroup')))
      expect(group.Properties.RetentionInDays).toBe(365);
    api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
  });

  test('alarms go to the given topic; no topic is created', () => {
    api.resourceCountIs('AWS::SNS::Topic', 0);
    const alarms = Object.values(api.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([ALARM_TOPIC]);
  });
});

describe('OIDC federation', () => {
  test('the corporate directory is an OIDC provider whose secret stays a dynamic reference', () => {
    api.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'Corp',
      ProviderType: 'OIDC',
      ProviderDetails: Match.objectLike({
        client_id: 'custos',
        oidc_issuer: 'https://login.corp.example',
        client_secret: `{{resolve:secretsmanager:${CLIENT_SECRET_ARN}:SecretString:::}}`,
      }),
    });
    api.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      SupportedIdentityProviders: [
        'COGNITO',
        { Ref: api.getResourceId('AWS::Cognito::UserPoolIdentityProvider', {}) },
      ],
    });
  });
});

describe('WAF', () => {
  const rules = (limit: number) =>
    Match.arrayWith([
      Match.objectLike({
        Action: { Block: {} },
        Statement: { RateBasedStatement: { Limit: limit, AggregateKeyType: 'IP' } },
      }),
      Match.objectLike({
        OverrideAction: { None: {} },
        Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } },
      }),
    ]);

  test.each(['CLOUDFRONT', 'REGIONAL'])(
    'a %s web ACL with a rate-based rule and the AWS common rule set',
    (scope) => {
      api.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: scope,
        DefaultAction: { Allow: {} },
        Rules: rules(1500),
      });
    },
  );

  test('the user pool is associated with the regional web ACL', () => {
    const regional = api.getResourceId('AWS::WAFv2::WebACL', { Properties: { Scope: 'REGIONAL' } });
    api.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('UserPool'), 'Arn'] },
      WebACLArn: { 'Fn::GetAtt': [regional, 'Arn'] },
    });
  });

  test('a CloudFront distribution carrying the CloudFront web ACL fronts the HTTP API, HTTPS only, nothing cached', () => {
    const edgeAcl = api.getResourceId('AWS::WAFv2::WebACL', { Properties: { Scope: 'CLOUDFRONT' } });
    const httpApi = api.getResourceId('AWS::ApiGatewayV2::Api', {});
    api.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        WebACLId: { 'Fn::GetAtt': [edgeAcl, 'Arn'] },
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'https-only',
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // managed CachingDisabled
          OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // managed AllViewerExceptHostHeader
          AllowedMethods: Match.arrayWith(['PUT', 'PATCH', 'POST', 'DELETE']),
        }),
        Origins: [
          Match.objectLike({
            DomainName: Match.objectLike({
              'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [httpApi, 'ApiEndpoint'] }] }],
            }),
            CustomOriginConfig: Match.objectLike({
              OriginProtocolPolicy: 'https-only',
              OriginSSLProtocols: ['TLSv1.2'],
            }),
          }),
        ],
      }),
    });
  });

  test('emailed links point at the distribution, so they pass the WAF', () => {
    const distribution = api.getResourceId('AWS::CloudFront::Distribution', {});
    api.hasResourceProperties('AWS::Lambda::Function', {
      Description: FUNCTIONS.find((f) => f.name === 'portability-worker')?.description,
      Environment: {
        Variables: Match.objectLike({
          PUBLIC_BASE_URL: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }]] },
        }),
      },
    });
  });

  test('the template refuses to deploy outside us-east-1, where CloudFront web ACLs live', () => {
    const rulesSection =
      (api.toJSON() as { Rules?: Record<string, { Assertions: Array<{ Assert: unknown }> }> }).Rules ?? {};
    const asserts = Object.values(rulesSection).flatMap((r) => r.Assertions.map((a) => a.Assert));
    expect(asserts).toContainEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] });
  });

  test('a stack pinned to another region fails the synth instead', () => {
    const before = process.env.CDK_DEFAULT_REGION;
    process.env.CDK_DEFAULT_REGION = 'eu-west-1';
    try {
      expect(() => buildTestApp(PROD_CONTEXT)).toThrow(/enableWaf needs the stack in us-east-1/);
    } finally {
      if (before === undefined) delete process.env.CDK_DEFAULT_REGION;
      else process.env.CDK_DEFAULT_REGION = before;
    }
  });
});
