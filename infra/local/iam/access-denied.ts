/**
 * The answer each service gives a call its caller's policy does not allow, in that service's wire
 * protocol, so the SDK's own deserializer raises the exception it raises in AWS (name, status,
 * `$metadata`) and the adapters see exactly what they would see after `cdk deploy`.
 */
export interface RawResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

const xmlEscape = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

const json = (contentType: string, type: string, message: string): RawResponse => ({
  statusCode: 400,
  headers: { 'content-type': contentType, 'x-amzn-errortype': type },
  body: new TextEncoder().encode(JSON.stringify({ __type: type, message })),
});

const xml = (text: string): RawResponse => ({
  statusCode: 403,
  headers: { 'content-type': 'text/xml' },
  body: new TextEncoder().encode(text),
});

export function accessDeniedResponse(clientName: string, message: string): RawResponse {
  switch (clientName) {
    case 'DynamoDBClient':
      return json(
        'application/x-amz-json-1.0',
        'com.amazonaws.dynamodb.v20120810#AccessDeniedException',
        message,
      );
    case 'KMSClient':
      return json('application/x-amz-json-1.1', 'AccessDeniedException', message);
    case 'SQSClient':
      return {
        ...json('application/x-amz-json-1.0', 'com.amazon.coral.service#AccessDeniedException', message),
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-query-error': 'AccessDenied;Sender',
        },
      };
    case 'S3Client':
      return xml(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${xmlEscape(message)}</Message></Error>`,
      );
    case 'SESClient':
      return xml(
        `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${xmlEscape(message)}</Message></Error></ErrorResponse>`,
      );
    default:
      throw new Error(`No AccessDenied answer for ${clientName}`);
  }
}
