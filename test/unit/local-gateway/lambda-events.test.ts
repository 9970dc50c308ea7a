import { describe, expect, test } from '@jest/globals';
import {
  apiGatewayTime,
  httpApiEvent,
  isTextualContentType,
  lambdaContext,
  queryParameters,
  scheduledEvent,
  sqsEvent,
  type HttpRequestInput,
} from '../../../infra/local/lambda-events.ts';

const request = (overrides: Partial<HttpRequestInput> = {}): HttpRequestInput => ({
  method: 'POST',
  rawPath: '/v1/orgs/01ABC/members',
  rawQueryString: '',
  headers: { host: '127.0.0.1:3000', 'user-agent': 'curl/8', 'content-type': 'application/json' },
  body: Buffer.from('{"name":"Acme"}'),
  routeKey: 'POST /v1/orgs/{orgId}/members',
  pathParameters: { orgId: '01ABC' },
  sourceIp: '127.0.0.1',
  now: new Date('2026-03-12T19:03:58.123Z'),
  ...overrides,
});

describe('httpApiEvent (payload 2.0)', () => {
  test('carries the route, path, request context and a textual body as UTF-8', () => {
    // Act
    const event = httpApiEvent(request());

    // Assess
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/orgs/{orgId}/members',
      rawPath: '/v1/orgs/01ABC/members',
      rawQueryString: '',
      pathParameters: { orgId: '01ABC' },
      body: '{"name":"Acme"}',
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        domainName: '127.0.0.1:3000',
        http: {
          method: 'POST',
          path: '/v1/orgs/01ABC/members',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'curl/8',
        },
        routeKey: 'POST /v1/orgs/{orgId}/members',
        stage: '$default',
        time: '12/Mar/2026:19:03:58 +0000',
        timeEpoch: Date.parse('2026-03-12T19:03:58.123Z'),
      },
    });
    expect(event.requestContext.requestId).toMatch(/\S{8,}/);
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.cookies).toBeUndefined();
  });

  test.each([
    ['application/x-www-form-urlencoded', 'token=abc&password=x'],
    ['application/octet-stream', '\u0000\u00ff binary'],
    [undefined, 'no content type'],
  ])('a %s body arrives base64-encoded', (contentType, text) => {
    // Prepare
    const headers = contentType === undefined ? {} : { 'content-type': contentType };

    // Act
    const event = httpApiEvent(request({ headers, body: Buffer.from(text, 'utf8') }));

    // Assess
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64').toString('utf8')).toBe(text);
  });

  test('an empty body is absent and not base64', () => {
    const event = httpApiEvent(request({ body: Buffer.alloc(0), method: 'GET' }));

    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
  });

  test('cookies move out of the headers; repeated headers are comma-joined', () => {
    // Act
    const event = httpApiEvent(
      request({ headers: { cookie: 'a=1; b=2', accept: ['text/html', 'application/json'] } }),
    );

    // Assess
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.headers.cookie).toBeUndefined();
    expect(event.headers.accept).toBe('text/html,application/json');
  });

  test('the query string is kept raw and parsed with repeats comma-joined', () => {
    const event = httpApiEvent(request({ rawQueryString: 'format=csv&id=1&id=2&q=a%20b' }));

    expect(event.rawQueryString).toBe('format=csv&id=1&id=2&q=a%20b');
    expect(event.queryStringParameters).toEqual({ format: 'csv', id: '1,2', q: 'a b' });
  });
});

describe('helpers', () => {
  test.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['application/problem+json', true],
    ['text/html', true],
    ['application/xml', true],
    ['application/x-www-form-urlencoded', false],
    ['image/png', false],
    [undefined, false],
  ])('isTextualContentType(%s) is %s', (contentType, textual) => {
    expect(isTextualContentType(contentType)).toBe(textual);
  });

  test.each([
    ['', undefined],
    ['a=1', { a: '1' }],
    ['a=1&a=2&a=3', { a: '1,2,3' }],
    ['limit=10&cursor=x%2By', { limit: '10', cursor: 'x+y' }],
  ])('queryParameters(%j)', (raw, expected) => {
    expect(queryParameters(raw)).toEqual(expected);
  });

  test('apiGatewayTime pads every part', () => {
    expect(apiGatewayTime(new Date('2026-01-02T03:04:05Z'))).toBe('02/Jan/2026:03:04:05 +0000');
  });
});

describe('scheduledEvent', () => {
  test('looks like an EventBridge schedule firing', () => {
    const event = scheduledEvent('cleanup-schedule', new Date('2026-05-01T10:00:00.500Z'));

    expect(event).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2026-05-01T10:00:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/cleanup-schedule'],
      detail: {},
    });
  });
});

describe('sqsEvent', () => {
  test('maps received messages to records with their receive count', () => {
    // Prepare
    const arn = 'arn:aws:sqs:us-east-1:000000000000:custos-work';

    // Act
    const event = sqsEvent(arn, [
      {
        MessageId: 'm-1',
        ReceiptHandle: 'r-1',
        Body: '{"exportId":"x"}',
        MD5OfBody: 'md5',
        Attributes: { ApproximateReceiveCount: '3', SentTimestamp: '1700000000000' },
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'export' } },
      },
    ]);

    // Assess
    expect(event.Records).toHaveLength(1);
    expect(event.Records[0]).toMatchObject({
      messageId: 'm-1',
      receiptHandle: 'r-1',
      body: '{"exportId":"x"}',
      md5OfBody: 'md5',
      attributes: { ApproximateReceiveCount: '3', SentTimestamp: '1700000000000' },
      messageAttributes: { kind: { dataType: 'String', stringValue: 'export' } },
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: 'us-east-1',
    });
  });
});

describe('lambdaContext', () => {
  test('counts the remaining time down from the manifest timeout', () => {
    // Prepare
    const startedAt = Date.now() - 4000;

    // Act
    const context = lambdaContext({ name: 'api-orgs', memoryMb: 512, timeoutSeconds: 29 }, startedAt);

    // Assess
    expect(context.functionName).toBe('api-orgs');
    expect(context.memoryLimitInMB).toBe('512');
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(24_000);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(25_000);
  });
});
