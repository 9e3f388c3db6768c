import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { BedrockEvidenceSummariser } from '../adapters/bedrock/evidence-summariser.js';
import { AuditLog } from '../adapters/dynamodb/audit-log.js';
import { type PayerInsights, TriageStore } from '../adapters/dynamodb/triage-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { jsonResponse, RequestRejected, rejectionResponse } from '../adapters/http/api-request.js';
import { ProblemType, problem, problemResponse } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { callerPrincipal } from '../adapters/partners/registry.js';
import { ExceptionId, exceptionIdFor } from '../core/exceptions.js';
import { PartnerId } from '../core/identifiers.js';
import type { Finding } from '../core/insights/anomaly.js';
import type { PayerInsightsView } from '../core/insights/view.js';
import { mayRead, type Principal } from '../core/partners.js';
import { rankByTeam } from '../core/triage/exposure.js';
import { summaryOf } from '../core/triage/summary.js';
import type { TriageView } from '../core/triage/triage.js';
import { env } from '../env.js';
import { openQueue, rankable } from './triage/priority.js';
import { currentModel, retrain } from './triage/suggest.js';

const logger = createLogger('insights');
const dynamodb = new DynamoDBClient({});
const store = new TriageStore(
  dynamodb,
  requiredEnv(env.exceptionTable),
  new AuditLog(dynamodb, requiredEnv(env.auditTable)),
);
/**
 * The optional prose summariser (docs/triage.md#summariser): only when the stage names a Bedrock model. Its
 * client is loaded on first use, so a stage without it pays nothing at cold start.
 */
const summaryModelId = process.env[env.triageSummaryModelId];
let summariser: Promise<BedrockEvidenceSummariser> | undefined;
const summariserOf = (modelId: string) => {
  summariser ??= Promise.all([
    import('@aws-sdk/client-bedrock-runtime'),
    import('../adapters/bedrock/evidence-summariser.js'),
  ]).then(
    ([{ BedrockRuntimeClient }, { BedrockEvidenceSummariser }]) =>
      new BedrockEvidenceSummariser(new BedrockRuntimeClient({}), modelId),
  );
  return summariser;
};

/**
 * Triage and payer insights (docs/triage.md): an exception's triage with its priority rank in its team's open
 * queue; a payer's baselines, anomalies and cash forecast; the triage model in use and a retrain on demand.
 * Everything here is a suggestion or a measurement: nothing changes money or an exception's status.
 */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  try {
    const route = `${event.httpMethod} ${event.resource}`;
    switch (route) {
      case 'GET /v1/exceptions/{exceptionId}/triage':
        return jsonResponse(200, await exceptionTriage(event, callerPrincipal(event)));
      case 'GET /v1/insights/payers/{payerId}':
        return jsonResponse(200, await payerInsights(event));
      case 'GET /v1/triage/model':
        return jsonResponse(200, await model());
      case 'POST /v1/triage/model/retrain': {
        const result = await retrain(store, Date.now());
        logger.info('triage model retrained on request', { ...result });
        return jsonResponse(200, result);
      }
      default:
        throw new RequestRejected(problem(ProblemType.notFound, 404, 'Not found', `No route ${route}.`));
    }
  } catch (error) {
    const rejected = rejectionResponse(error);
    if (rejected) return rejected;
    logger.error('insights request failed', { error: error as Error });
    return problemResponse(
      problem(ProblemType.unavailable, 503, 'Service unavailable', 'Try again shortly.'),
      {
        'Retry-After': '2',
      },
    );
  }
};

function invalid(path: string, title: string, message: string): RequestRejected {
  return new RequestRejected(
    problem(ProblemType.validation, 400, title, `The ${path.split(':')[1]} in the path is not valid.`, {
      errors: [{ path, message }],
    }),
  );
}

async function exceptionTriage(event: APIGatewayProxyEvent, principal: Principal): Promise<TriageView> {
  const id = ExceptionId.safeParse(event.pathParameters?.exceptionId);
  if (!id.success)
    throw invalid('path:exceptionId', 'Invalid exception id', id.error.issues[0]?.message ?? 'invalid');
  const entry = await store.register.get(id.data);
  // Another facility's exception is as unknown as a missing one (docs/security.md#reads).
  if (!entry || !mayRead(principal, entry.facilityId))
    throw new RequestRejected(
      problem(ProblemType.notFound, 404, 'Unknown exception', `No exception ${id.data}.`),
    );
  if (!entry.triage)
    throw new RequestRejected(
      problem(
        ProblemType.notFound,
        404,
        'Not triaged yet',
        'This exception has no triage yet; the next retrain suggests one.',
      ),
    );
  const triage = summaryModelId
    ? { ...entry.triage, summary: await summaryOf(entry.triage, await summariserOf(summaryModelId)) }
    : entry.triage;
  if (entry.status !== 'open') return triage;
  const ranks = rankByTeam((await openQueue(store.register, { team: entry.team })).map(rankable));
  const rank = ranks.get(entry.id);
  return { ...triage, ...(rank !== undefined ? { priorityRank: rank } : {}) };
}

function baselines(findings: readonly Finding[]): PayerInsightsView['baselines'] {
  return findings.map((f) => ({
    metric: f.metric,
    ...(f.code ? { code: f.code } : {}),
    current: round(f.current),
    median: round(f.baseline.median),
    spread: round(f.baseline.spread),
    z: f.z,
    status: f.breach ? 'anomalous' : f.normal ? 'normal' : 'watch',
    explanation: f.explanation,
  }));
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function scopeView(insights: PayerInsights): Omit<PayerInsightsView, 'payerId' | 'forecast' | 'facilities'> {
  return {
    scope: insights.scope,
    ...(insights.facilityId ? { facilityId: insights.facilityId } : {}),
    updatedAt: insights.updatedAt,
    claimsAssessed: insights.claimsAssessed,
    baselines: baselines(insights.findings),
    anomalies: Object.entries(insights.anomalies).flatMap(([metric, open]) => {
      if (!open) return [];
      const finding = insights.findings.find((f) => f.metric === metric);
      return [
        {
          metric: metric as Finding['metric'],
          openedAt: open.openedAt,
          exceptionId: exceptionIdFor(open.key, open.key),
          explanation: finding?.explanation ?? metric,
          team: finding?.team ?? 'finance',
          claimIds: finding?.claimIds ?? [],
          amountCents: finding?.amountCents ?? 0,
        },
      ];
    }),
  };
}

async function payerInsights(event: APIGatewayProxyEvent): Promise<PayerInsightsView> {
  const payerId = PartnerId.safeParse(event.pathParameters?.payerId);
  if (!payerId.success)
    throw invalid('path:payerId', 'Invalid payer id', payerId.error.issues[0]?.message ?? 'invalid');
  const insights = await store.insights(payerId.data);
  if (!insights)
    throw new RequestRejected(
      problem(
        ProblemType.notFound,
        404,
        'No insights',
        `No insights for payer ${payerId.data} yet (the payer insights schedule computes them).`,
      ),
    );
  return {
    payerId: insights.payerId,
    ...scopeView(insights),
    ...(insights.forecast ? { forecast: insights.forecast } : {}),
    facilities: (insights.facilities ?? []).map(scopeView),
  };
}

async function model() {
  const stored = await store.currentModel();
  const current = stored?.model ?? (await currentModel(store));
  return {
    version: current.version,
    ...(stored ? { trainedAt: stored.trainedAt } : {}),
    examples: current.examples,
    labelled: stored?.labelled ?? {},
    versions: await store.modelVersions(),
    feedback: (await store.feedback()).map((f) => {
      const decided = f.accepted + f.overridden;
      return { ...f, ...(decided ? { acceptanceRate: round(f.accepted / decided) } : {}) };
    }),
  };
}
