import { ArnFormat, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { PROBLEM_BASE, ProblemType } from '../lambdas/adapters/http/problem.js';
import { type ApiRoute, env, type HandlerName, opsScopes, roleScopes, routes } from '../lambdas/wiring.js';
import { toApiGatewaySchema } from './api-models.js';
import type { ConfiguredClient, StageConfig } from './config.js';
import { acknowledge } from './nag.js';

export interface ApiProps {
  stage: string;
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
  logRetention: logs.RetentionDays;
  throttle: StageConfig['apiThrottle'];
  wafRateLimitPer5Minutes: number;
  functions: Record<HandlerName, lambda.Function>;
  /** The stage's OAuth clients (stage config `partners`) and the default per-client usage plan. */
  partners: readonly ConfiguredClient[];
  partnerThrottle: StageConfig['partnerThrottle'];
}

/** The scopes a configured client gets: its role's bundle, or the narrower list it names (never wider). */
export function clientScopes(client: ConfiguredClient): readonly string[] {
  const bundle = roleScopes[client.role];
  const scopes = client.scopes ?? bundle;
  const beyond = scopes.filter((scope) => !bundle.includes(scope));
  if (beyond.length > 0)
    throw new Error(
      `client ${client.name} (${client.role}) asks for scopes beyond its role: ${beyond.join(', ')}`,
    );
  // The synth-time guard of issue #15: a partner never operates the hub, whatever its config says.
  const ops = scopes.filter((scope) => opsScopes.includes(scope));
  if (client.role === 'partner' && ops.length > 0)
    throw new Error(`partner client ${client.name} may not hold ops scopes: ${ops.join(', ')}`);
  return scopes;
}

/** `rcm/invoices.write` → resource server `rcm`, scope `invoices.write` (Cognito's OAuth scope spelling). */
function pascalName(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

export function splitScope(scope: string): { identifier: string; name: string } {
  const slash = scope.indexOf('/');
  if (slash <= 0 || slash === scope.length - 1)
    throw new Error(`OAuth scope "${scope}" is not <resource-server>/<scope>`);
  return { identifier: scope.slice(0, slash), name: scope.slice(slash + 1) };
}

/** Name of the request model of a route (alphanumeric, as API Gateway requires). */
export function modelName(route: ApiRoute): string {
  return `${route.operationId.charAt(0).toUpperCase()}${route.operationId.slice(1)}Request`;
}

/** Path parameters of an API Gateway path (`/v1/workflows/{encounterId}` → `encounterId`). */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([^}+]+)\+?\}/g)].map((match) => match[1] as string);
}

/**
 * The partner-facing REST API, built from `routes` in wiring.ts: OAuth client-credentials through Cognito
 * (one scope per route), body and parameter validation at the gateway, RFC 9457 problem answers for every
 * error the gateway itself produces, encrypted access logs, X-Ray, stage throttling and a WAF.
 */
export class Api extends Construct {
  readonly restApi: apigw.RestApi;
  readonly userPool: cognito.UserPool;
  readonly userPoolDomain: cognito.UserPoolDomain;
  /** One Cognito app client per configured client, by name (stage config `partners`). */
  readonly clients: Record<string, cognito.UserPoolClient> = {};
  readonly resourceServers: Record<string, cognito.UserPoolResourceServer> = {};
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const retained = props.removalPolicy === RemovalPolicy.RETAIN;

    // --- OAuth 2.0 client credentials (machine to machine). No human users live in this pool.
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `rcm-hub-${props.stage}`,
      selfSignUpEnabled: false,
      signInAliases: { username: true },
      accountRecovery: cognito.AccountRecovery.NONE,
      // Strictest settings, although only app clients authenticate: a user added by mistake cannot be weak.
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(1),
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      deletionProtection: retained,
      removalPolicy: props.removalPolicy,
    });
    acknowledge(this.userPool, {
      id: 'AwsSolutions-COG8',
      reason:
        'Threat protection (Plus tier) scores user sign-ins; this pool has no users, only partner app clients using the client-credentials grant, which threat protection does not evaluate.',
    });

    const scopesByServer = new Map<string, Set<string>>();
    for (const route of routes) {
      if (route.scope === null) continue;
      const { identifier, name } = splitScope(route.scope);
      scopesByServer.set(identifier, (scopesByServer.get(identifier) ?? new Set()).add(name));
    }
    // `rcm/invoices.write` → its Cognito OAuth scope (the resource server's id is a token until deploy).
    const scopeByName = new Map<string, cognito.OAuthScope>();
    for (const [identifier, names] of scopesByServer) {
      const scopes = [...names].map(
        (scopeName) =>
          new cognito.ResourceServerScope({ scopeName, scopeDescription: `${identifier}/${scopeName}` }),
      );
      const server = this.userPool.addResourceServer(`ResourceServer${identifier}`, {
        identifier,
        userPoolResourceServerName: `rcm-hub ${props.stage} ${identifier}`,
        scopes,
      });
      this.resourceServers[identifier] = server;
      for (const scope of scopes)
        scopeByName.set(`${identifier}/${scope.scopeName}`, cognito.OAuthScope.resourceServer(server, scope));
    }

    // No all-scope client in any stage (issue #15): each configured client gets its role's scope bundle.
    const registry: Record<string, unknown>[] = [];
    for (const client of props.partners) {
      const wanted = clientScopes(client).filter((scope) => scopeByName.has(scope));
      const appClient = this.userPool.addClient(`Client${pascalName(client.name)}`, {
        userPoolClientName: `rcm-hub-${props.stage}-${client.name}`,
        generateSecret: true,
        oAuth: {
          flows: { clientCredentials: true },
          scopes: wanted.map((scope) => scopeByName.get(scope) as cognito.OAuthScope),
        },
        accessTokenValidity: Duration.hours(1),
        preventUserExistenceErrors: true,
        enableTokenRevocation: true,
      });
      this.clients[client.name] = appClient;
      const { scopes: _scopes, throttle: _throttle, ...binding } = client;
      registry.push({ clientId: appClient.userPoolClientId, ...binding });
    }
    // The partner registry the handlers enforce (lambdas/adapters/partners/registry.ts): removing a client
    // from config deletes its app client and, in the same deploy, its registry entry.
    const registryJson = Stack.of(this).toJsonString(registry);
    for (const fn of Object.values(props.functions)) fn.addEnvironment(env.partnerRegistry, registryJson);

    // The token endpoint lives on the user pool domain: https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token
    this.userPoolDomain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: `rcm-hub-${props.stage}-${Aws.ACCOUNT_ID}` },
    });

    // --- REST API
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      encryptionKey: props.key,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.restApi = new apigw.RestApi(this, 'RestApi', {
      restApiName: `rcm-hub-${props.stage}`,
      description: `rcm-hub ${props.stage}: partner API (invoices in, workflow state out)`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // cloudWatchRole is left to the `@aws-cdk/aws-apigateway:disableCloudWatchRole` flag (true in cdk.json):
      // the API Gateway account role is one per account and region, set up once (docs/deploy.md#prerequisites).
      deployOptions: {
        stageName: props.stage,
        tracingEnabled: true,
        metricsEnabled: true,
        // Execution logs at ERROR only and never request/response bodies: bodies carry PHI.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            extendedRequestId: '$context.extendedRequestId',
            requestTime: '$context.requestTimeEpoch',
            httpMethod: '$context.httpMethod',
            resourcePath: '$context.resourcePath',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            errorType: '$context.error.responseType',
            clientId: '$context.authorizer.claims.client_id',
            sourceIp: '$context.identity.sourceIp',
            wafStatus: '$context.waf.status',
            xrayTraceId: '$context.xrayTraceId',
          }),
        ),
      },
    });

    // Per-client throttling (issue #15): one API key and usage plan per configured client, so one partner's
    // burst is refused with 429 at the gateway while the others keep their own budget.
    for (const client of props.partners) {
      const limits = client.throttle ?? props.partnerThrottle;
      const plan = this.restApi.addUsagePlan(`UsagePlan${pascalName(client.name)}`, {
        name: `rcm-hub-${props.stage}-${client.name}`,
        description: `Per-client limits of ${client.name} (${client.role})`,
        throttle: { rateLimit: limits.rateLimit, burstLimit: limits.burstLimit },
        apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
      });
      plan.addApiKey(
        this.restApi.addApiKey(`ApiKey${pascalName(client.name)}`, {
          apiKeyName: `rcm-hub-${props.stage}-${client.name}`,
          description: `API key of ${client.name}: sent as x-api-key with its bearer token`,
        }),
      );
    }

    const authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [this.userPool],
      authorizerName: `rcm-hub-${props.stage}-cognito`,
    });
    const validator = this.restApi.addRequestValidator('BodyAndParams', {
      requestValidatorName: 'body-and-params',
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    for (const route of routes) {
      const resource = this.restApi.root.resourceForPath(route.path);
      const requestParameters: Record<string, boolean> = {};
      for (const name of pathParameters(route.path)) requestParameters[`method.request.path.${name}`] = true;
      if (route.idempotent) requestParameters['method.request.header.Idempotency-Key'] = true;
      const requestModels = route.requestSchema
        ? {
            'application/json': this.restApi.addModel(modelName(route), {
              modelName: modelName(route),
              contentType: 'application/json',
              description: `Request body of ${route.operationId}`,
              schema: toApiGatewaySchema(route.requestSchema),
            }),
          }
        : undefined;
      const method = resource.addMethod(
        route.method,
        new apigw.LambdaIntegration(props.functions[route.handler], { proxy: true, allowTestInvoke: false }),
        {
          operationName: route.operationId,
          requestValidator: validator,
          requestParameters,
          requestModels,
          ...(route.scope === null
            ? { authorizationType: apigw.AuthorizationType.NONE }
            : {
                authorizationType: apigw.AuthorizationType.COGNITO,
                authorizer,
                authorizationScopes: [route.scope],
                // Each client's usage plan is bound to its API key: the gateway throttles per client.
                apiKeyRequired: true,
              }),
        },
      );
      if (route.scope === null) {
        // Routes open at the gateway for another reason than the health probe say why in wiring.ts (webhooks).
        const reason =
          route.openBecause ??
          `${route.method} ${route.path} is public by design (wiring.ts scope null): a health probe that answers only which Odoo and store are in use and whether they respond, never PHI.`;
        acknowledge(method, { id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
      }
    }

    this.addProblemResponses();

    acknowledge(
      this.restApi.deploymentStage,
      {
        id: 'HIPAA.Security-APIGWCacheEnabledAndEncrypted',
        reason:
          'Caching is off on purpose: answers carry PHI and are per client, and POST /v1/invoices must reach the handler for idempotency; an empty cache holds nothing to encrypt.',
      },
      {
        id: 'HIPAA.Security-APIGWSSLEnabled',
        reason:
          'The stage has no HTTP backend to authenticate with a client certificate: every integration is a Lambda proxy invoked over the AWS API.',
      },
    );

    // --- WAF: AWS managed common rules + known bad inputs + a per-IP rate limit.
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `rcm-hub-${props.stage}-api`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      customResponseBodies: {
        throttled: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            type: `${PROBLEM_BASE}throttled`,
            title: 'Too many requests',
            status: 429,
            detail: 'Request rate limit for this client address exceeded; retry later.',
          }),
        },
      },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: `rcm-hub-${props.stage}-api`,
        sampledRequestsEnabled: false,
      },
      rules: [
        managedRuleGroup('AWSManagedRulesCommonRuleSet', 0, [
          // Invoices with many lines exceed the rule's 8 KB body limit; the API model caps the body (500 lines).
          { name: 'SizeRestrictions_BODY', actionToUse: { count: {} } },
        ]),
        managedRuleGroup('AWSManagedRulesKnownBadInputsRuleSet', 1),
        {
          name: 'RateLimitPerIp',
          priority: 2,
          // 429 with a problem body instead of WAF's bare 403 (WAF bodies cannot be problem+json typed).
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: 'throttled',
                responseHeaders: [{ name: 'Retry-After', value: '300' }],
              },
            },
          },
          statement: { rateBasedStatement: { limit: props.wafRateLimitPer5Minutes, aggregateKeyType: 'IP' } },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: 'RateLimitPerIp',
            sampledRequestsEnabled: false,
          },
        },
      ],
    });
    // WAF logs (HIPAA 164.312(b) audit controls). The name prefix is required by WAF; the Authorization
    // header (bearer token) is redacted. https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html
    const wafLogs = new logs.LogGroup(this, 'WafLogs', {
      logGroupName: `aws-waf-logs-rcm-hub-${props.stage}`,
      encryptionKey: props.key,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const wafLogging = new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group ARN without the trailing `:*` that the LogGroup `Arn` attribute carries.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: wafLogs.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // The query string too: Odoo's webhook authenticates with a token in the URL (docs/webhooks.md).
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { queryString: {} }],
    });
    wafLogging.node.addDependency(wafLogs);
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.restApi.deploymentStage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }

  /** Gateway-produced errors as RFC 9457 problem details (same vocabulary as lambdas/adapters/http/problem.ts). */
  private addProblemResponses(): void {
    const responses: {
      id: string;
      type: apigw.ResponseType;
      status?: string;
      problem: string;
      title: string;
      detail: string;
    }[] = [
      {
        id: 'Unauthorized',
        type: apigw.ResponseType.UNAUTHORIZED,
        status: '401',
        problem: ProblemType.unauthorized,
        title: 'Unauthorized',
        detail: '$context.error.messageString',
      },
      {
        id: 'AccessDenied',
        type: apigw.ResponseType.ACCESS_DENIED,
        status: '403',
        problem: ProblemType.forbidden,
        title: 'Insufficient scope',
        detail: '$context.error.messageString',
      },
      // validationErrorString is not JSON-escaped (it quotes property names) and gateway templates are not VTL
      // ($util is unavailable), so it cannot go into a JSON string safely; the handler re-validates in detail.
      {
        id: 'BadRequestBody',
        type: apigw.ResponseType.BAD_REQUEST_BODY,
        status: '400',
        problem: ProblemType.validation,
        title: 'Invalid request body',
        detail: '$context.error.messageString',
      },
      {
        id: 'BadRequestParameters',
        type: apigw.ResponseType.BAD_REQUEST_PARAMETERS,
        status: '400',
        problem: ProblemType.validation,
        title: 'Invalid request parameters',
        detail: '$context.error.messageString',
      },
      {
        id: 'RequestTooLarge',
        type: apigw.ResponseType.REQUEST_TOO_LARGE,
        status: '413',
        problem: ProblemType.payloadTooLarge,
        title: 'Payload too large',
        detail: '$context.error.messageString',
      },
      {
        id: 'Throttled',
        type: apigw.ResponseType.THROTTLED,
        status: '429',
        problem: 'throttled',
        title: 'Too many requests',
        detail: '$context.error.messageString',
      },
      // An unknown path or method: API Gateway says 403 "Missing Authentication Token"; a caller needs 404.
      {
        id: 'MissingAuthenticationToken',
        type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        status: '404',
        problem: ProblemType.notFound,
        title: 'Not found',
        detail: '"No such resource or method"',
      },
      {
        id: 'Default4xx',
        type: apigw.ResponseType.DEFAULT_4XX,
        problem: 'request-error',
        title: 'Request error',
        detail: '$context.error.messageString',
      },
      {
        id: 'Default5xx',
        type: apigw.ResponseType.DEFAULT_5XX,
        problem: ProblemType.internal,
        title: 'Internal error',
        detail: '$context.error.messageString',
      },
    ];
    for (const r of responses) {
      // Gateway templates support only plain $context substitution; `messageString` is already a quoted JSON string.
      const status = r.status ? `"status":${r.status},` : '';
      const body = `{"type":"${PROBLEM_BASE}${r.problem}","title":"${r.title}",${status}"detail":${r.detail},"correlationId":"$context.requestId"}`;
      this.restApi.addGatewayResponse(r.id, {
        type: r.type,
        statusCode: r.status,
        responseHeaders: { 'Content-Type': "'application/problem+json'", 'Cache-Control': "'no-store'" },
        templates: { 'application/json': body },
      });
    }
  }
}

function managedRuleGroup(
  name: string,
  priority: number,
  ruleActionOverrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[],
): wafv2.CfnWebACL.RuleProperty {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ruleActionOverrides } },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: false },
  };
}
