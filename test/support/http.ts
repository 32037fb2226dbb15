import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** An API Gateway HTTP API (payload 2.0) event, as API Gateway builds it. */
export function apiEvent(request: {
  method: string;
  path: string;
  body?: string;
  base64?: boolean;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}): APIGatewayProxyEventV2 {
  const base64 = request.base64 ?? false;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: new URLSearchParams(request.query ?? {}).toString(),
    headers: request.headers ?? {},
    ...(request.query ? { queryStringParameters: request.query } : {}),
    requestContext: {
      accountId: 'test',
      apiId: 'test',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'req',
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(request.body === undefined
      ? { isBase64Encoded: false }
      : { body: base64 ? Buffer.from(request.body).toString('base64') : request.body, isBase64Encoded: base64 }),
  };
}
