import type { APIGatewayProxyResult } from 'aws-lambda';

/**
 * A JSON answer that is never cached. Its own module (re-exported by api-request.ts) so that a handler which
 * only answers, like the health probe, does not bundle the request parsing and its schemas (issue 16).
 */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}
