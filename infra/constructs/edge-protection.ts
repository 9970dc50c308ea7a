/**
 * AWS WAF for Custos, behind the `enableWaf` context flag.
 *
 * WAF cannot be associated with an API Gateway HTTP API (only REST APIs, ALBs, AppSync, Cognito,
 * CloudFront…). So the API gets a CloudFront distribution in front of it — no caching, every
 * viewer header but Host forwarded (Authorization included, which CloudFront allows only when
 * caching is off) — carrying a CLOUDFRONT-scope web ACL. Such an ACL must be created in
 * us-east-1, hence the stack's region requirement (see ApiStack). The user pool, a regional
 * resource, gets its own REGIONAL web ACL. Both ACLs: a rate-based rule per client IP and the
 * AWS managed common rule set (OWASP-style request checks).
 *
 * What this does not do: the execute-api URL stays reachable without passing the WAF (an HTTP
 * API cannot refuse requests that did not come through CloudFront). Clients and emailed links
 * use the distribution (`publicBaseUrl` defaults to it); the stage and route throttling still
 * bound whoever calls the API directly. docs/operations.md says so too.
 */
import { Fn, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface EdgeProtectionProps {
  readonly stage: string;
  readonly httpApi: IHttpApi;
  readonly userPool: IUserPool;
  /** Requests per client IP per 5 minutes before the rate-based rule blocks it. */
  readonly requestsPerIpPer5Minutes: number;
}

export class EdgeProtection extends Construct {
  readonly distribution: Distribution;
  readonly apiWebAcl: CfnWebACL;
  readonly userPoolWebAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeProtectionProps) {
    super(scope, id);
    this.apiWebAcl = webAcl(
      this,
      'ApiWebAcl',
      'CLOUDFRONT',
      `custos-${props.stage}-api`,
      props.requestsPerIpPer5Minutes,
    );
    this.userPoolWebAcl = webAcl(
      this,
      'UserPoolWebAcl',
      'REGIONAL',
      `custos-${props.stage}-identity`,
      props.requestsPerIpPer5Minutes,
    );
    new CfnWebACLAssociation(this, 'UserPoolWebAclAssociation', {
      resourceArn: props.userPool.userPoolArn,
      webAclArn: this.userPoolWebAcl.attrArn,
    });

    const apiDomain = Fn.select(2, Fn.split('/', props.httpApi.apiEndpoint));
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Custos ${props.stage}: WAF in front of the HTTP API`,
      defaultBehavior: {
        origin: new HttpOrigin(apiDomain, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        // Every answer is per caller: nothing may be cached at the edge.
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      webAclId: this.apiWebAcl.attrArn,
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
    });
    const acknowledge = (id: string, reason: string): void =>
      Validations.of(this.distribution).acknowledge({ id, reason });
    acknowledge(
      'AwsSolutions-CFR1',
      'Custos serves organizations wherever they are; no country is excluded by contract.',
    );
    acknowledge(
      'AwsSolutions-CFR3',
      'Every request reaching the API is logged by the stage access log (JSON, no tokens or bodies); WAF decisions appear in its sampled requests and metrics.',
    );
    acknowledge(
      'AwsSolutions-CFR4',
      'The default *.cloudfront.net certificate cannot pin a minimum TLS version; a custom domain with its own certificate (publicBaseUrl) can. Origin traffic is TLS 1.2 only.',
    );
  }

  /** The distribution's base URL, for links in emails. */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}

function webAcl(
  scope: Construct,
  id: string,
  scopeName: 'CLOUDFRONT' | 'REGIONAL',
  name: string,
  limit: number,
): CfnWebACL {
  const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
    cloudWatchMetricsEnabled: true,
    metricName,
    sampledRequestsEnabled: true,
  });
  return new CfnWebACL(scope, id, {
    name,
    scope: scopeName,
    defaultAction: { allow: {} },
    visibilityConfig: visibility(name),
    rules: [
      {
        name: 'rate-per-ip',
        priority: 0,
        action: { block: {} },
        statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP' } },
        visibilityConfig: visibility(`${name}-rate-per-ip`),
      },
      {
        name: 'aws-common-rule-set',
        priority: 1,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' } },
        visibilityConfig: visibility(`${name}-common`),
      },
    ],
  });
}
