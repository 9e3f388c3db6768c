import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { PROBLEM_BASE, type Problem, ProblemType, problem } from '../lambdas/adapters/http/problem.js';
import type { ApiRoute, HandlerName } from '../lambdas/wiring.js';
import type { LocalTokenIssuer } from './auth.js';
import type { ClientThrottle } from './throttle.js';

/**
 * The local API Gateway: the routes of the wiring table, the Cognito authorizer's checks, and REST API
 * proxy events handed to the same handler code that runs in Lambda. Gateway-level refusals answer
 * problem+json exactly as the cloud's gateway responses do (lib/api.ts).
 */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** API Gateway's own payload limit; contract limits (256 KB) are the handlers' to enforce. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

interface CompiledRoute {
  route: ApiRoute;
  pattern: RegExp;
  params: string[];
}

export interface LocalApiGatewayOptions {
  routes: readonly ApiRoute[];
  invoke: (handler: HandlerName, event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  tokens: LocalTokenIssuer;
  stage?: string;
  /** Per-client limits on the scoped routes (AWS: each client's usage plan, bound to its API key). */
  throttle?: ClientThrottle;
}

export function compileRoute(route: ApiRoute): CompiledRoute {
  const params: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(param[1]);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), params };
}

export function createLocalApiGateway(options: LocalApiGatewayOptions): Server {
  const compiled = options.routes.map(compileRoute);
  return createServer((req, res) => {
    serve(req, res, compiled, options).catch((error) => {
      writeProblem(res, problem(ProblemType.internal, 500, 'Internal error', (error as Error).message));
    });
  });
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  compiled: CompiledRoute[],
  options: LocalApiGatewayOptions,
) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const requestId = randomUUID();
  const body = await readBody(req);
  if (body === 'too-large') {
    return writeProblem(
      res,
      problem(ProblemType.payloadTooLarge, 413, 'Payload too large', 'API Gateway accepts at most 10 MB.'),
    );
  }

  if (url.pathname === '/oauth2/token') {
    if (req.method !== 'POST')
      return writeProblem(res, problem(ProblemType.methodNotAllowed, 405, 'Method not allowed', 'Use POST.'));
    const answer = await options.tokens.tokenEndpoint(
      new URLSearchParams(body.toString('utf8')),
      req.headers.authorization,
    );
    res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    return res.end(JSON.stringify(answer.body));
  }

  const candidates = compiled.filter((c) => c.pattern.test(url.pathname));
  if (candidates.length === 0) {
    return writeProblem(
      res,
      problem(ProblemType.notFound, 404, 'Not found', `No route for ${url.pathname}.`, {
        correlationId: requestId,
      }),
    );
  }
  const match = candidates.find((c) => c.route.method === req.method);
  if (!match) {
    return writeProblem(
      res,
      problem(
        ProblemType.methodNotAllowed,
        405,
        'Method not allowed',
        `${req.method} is not allowed on ${url.pathname}.`,
        { correlationId: requestId },
      ),
      { Allow: candidates.map((c) => c.route.method).join(', ') },
    );
  }

  let claims: Record<string, string> | undefined;
  if (match.route.scope) {
    const verdict = await options.tokens.authorize(req.headers.authorization, match.route.scope);
    if (!verdict.ok) {
      const p =
        verdict.status === 401
          ? problem(ProblemType.unauthorized, 401, 'Unauthorized', verdict.detail, {
              correlationId: requestId,
            })
          : problem(ProblemType.forbidden, 403, 'Forbidden', verdict.detail, { correlationId: requestId });
      return writeProblem(res, p, verdict.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
    }
    claims = verdict.claims;
    // After the authorizer, as API Gateway applies the usage plan of the caller's key: 429 problem+json.
    const allowed = options.throttle?.take(verdict.claims.client_id ?? '') ?? { ok: true };
    if (!allowed.ok) {
      return writeProblem(
        res,
        {
          type: `${PROBLEM_BASE}throttled`,
          title: 'Too many requests',
          status: 429,
          detail: 'Request rate limit of this client exceeded; retry later.',
          correlationId: requestId,
        },
        { 'Retry-After': String(allowed.retryAfterSeconds) },
      );
    }
  }

  const values = match.pattern.exec(url.pathname)?.slice(1) ?? [];
  const pathParameters = Object.fromEntries(
    match.params.map((name, i) => [name, decodeURIComponent(values[i] ?? '')]),
  );
  const event = proxyEvent(
    req,
    url,
    body,
    match.route,
    pathParameters,
    claims,
    requestId,
    options.stage ?? 'local',
  );
  const result = await options.invoke(match.route.handler, event);
  const headers: Record<string, string> = { 'x-amzn-RequestId': requestId };
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  res.writeHead(result.statusCode, headers);
  res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}

function proxyEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  route: ApiRoute,
  pathParameters: Record<string, string>,
  claims: Record<string, string> | undefined,
  requestId: string,
  stage: string,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    multiQuery[k] = [...(multiQuery[k] ?? []), v];
  }
  const now = new Date();
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
    stageVariables: null,
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: claims ? { claims } : null,
      protocol: 'HTTP/1.1',
      httpMethod: route.method,
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? null,
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/${stage}${url.pathname}`,
      stage,
      requestId,
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: route.path,
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function writeProblem(res: ServerResponse, p: Problem, headers: Record<string, string> = {}) {
  if (res.headersSent) return res.end();
  res.writeHead(p.status, {
    'Content-Type': 'application/problem+json',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(p));
}
