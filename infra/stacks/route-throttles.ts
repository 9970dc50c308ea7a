/**
 * Routes throttled below the stage default, with the reason for each. API Gateway applies these
 * limits per route across all callers (requests per second, steady and burst), on top of the
 * stage's default: they cap what one expensive or guessable route can cost the whole API.
 * A key that names no route of the route table fails the synth.
 */
export interface RouteThrottle {
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly reason: string;
}

export const ROUTE_THROTTLES: Readonly<Record<string, RouteThrottle>> = {
  'GET /v1/orgs/{orgId}/orchestrations/{orchestrationId}/retention/preview': {
    rateLimit: 5,
    burstLimit: 10,
    reason: "Counts an orchestration's due jobs by reading its part of the retention index",
  },
  'POST /v1/backups/{backupId}/download': {
    rateLimit: 5,
    burstLimit: 10,
    reason: 'Public password check: slows guessing across links beyond the per-link tries counter',
  },
  'GET /v1/backups/{backupId}/download': {
    rateLimit: 10,
    burstLimit: 20,
    reason: 'Public page keyed by an unguessable token; bounds scanning for tokens',
  },
  'POST /v1/orgs/{orgId}/backups': {
    rateLimit: 1,
    burstLimit: 5,
    reason: 'Each request queues a full encrypted backup of an organization (minutes of worker time)',
  },
  'POST /v1/orgs/{orgId}/exports': {
    rateLimit: 2,
    burstLimit: 10,
    reason: 'Each request queues an export that streams a whole orchestration',
  },
  'GET /v1/orgs/{orgId}/audit/export': {
    rateLimit: 2,
    burstLimit: 5,
    reason: 'Streams the whole audit log of an organization',
  },
  'GET /v1/orgs/{orgId}/audit/verify': {
    rateLimit: 2,
    burstLimit: 5,
    reason: 'Walks and hashes the whole audit chain and checks every signed digest',
  },
  'POST /v1/orgs/{orgId}/incidents/scope': {
    rateLimit: 2,
    burstLimit: 5,
    reason: 'Reads up to 100k audit events of a window and looks up the jobs they disclosed',
  },
  'POST /v1/orgs/{orgId}/subjects/access': {
    rateLimit: 5,
    burstLimit: 10,
    reason: 'Opens every sealed field of the subject’s jobs (KMS and CPU heavy)',
  },
};

/** One entry of `AWS::ApiGatewayV2::Stage` RouteSettings, as CloudFormation spells it. */
export interface RouteSettings {
  readonly ThrottlingRateLimit: number;
  readonly ThrottlingBurstLimit: number;
}

/**
 * The stage's `RouteSettings` for the routes in `routeKeys`; a throttle for any other key throws.
 * CfnStage types the property as plain JSON, so CloudFormation's PascalCase is spelled out here.
 */
export function routeSettingsFor(
  routeKeys: readonly string[],
  throttles: Readonly<Record<string, RouteThrottle>> = ROUTE_THROTTLES,
): Record<string, RouteSettings> {
  const unknown = Object.keys(throttles).filter((key) => !routeKeys.includes(key));
  if (unknown.length > 0)
    throw new Error(
      `route-throttles.ts names routes the route table does not declare: ${unknown.join(', ')}`,
    );
  return Object.fromEntries(
    Object.entries(throttles).map(([key, t]) => [
      key,
      { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit },
    ]),
  );
}
