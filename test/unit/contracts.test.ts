/**
 * The generated contracts (docs/openapi.json, docs/api.md, events/catalog) match the code, the samples
 * match the schemas and tell one consistent story, the response schemas mirror the handlers (by type, and by
 * running the handlers over a fake store and bus), and the OpenAPI document is internally sound.
 * Generation runs in-process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { z } from 'zod';
import type {
  MasterRecordItem,
  MoneySummary,
  ClaimRecord as StoreClaimRecord,
  OpenException as StoreOpenException,
  RemittanceRecord as StoreRemittanceRecord,
  TimelineEntry as StoreTimelineEntry,
  Workflow,
  WorkflowStore,
} from '../../lambdas/adapters/dynamodb/workflow-store.js';
import { type EventEnvelope, EventSource, followUpEvent } from '../../lambdas/core/envelope.js';
import { deterministicEventId } from '../../lambdas/core/event-id.js';
import { EventCatalog, type EventOf, type EventType } from '../../lambdas/core/events.js';
import { type IntakeName, intakes } from '../../lambdas/core/intake.js';
import type { PatientUpserted, PayerUpserted } from '../../lambdas/core/master-data.js';
import { formatCents } from '../../lambdas/core/money.js';
import { planPaymentPosting } from '../../lambdas/core/payment-posting.js';
import { patientInvoiceId, planRemittancePosting } from '../../lambdas/core/remittance-posting.js';
import { type Accepted as HandlerAccepted, handler as ingestHandler } from '../../lambdas/handlers/ingest.js';
import { handler as readMasterDataHandler } from '../../lambdas/handlers/read-master-data.js';
import {
  WorkflowListQuery as HandlerWorkflowListQuery,
  handler as readWorkflowsHandler,
} from '../../lambdas/handlers/read-workflows.js';
import { type ApiRoute, routes } from '../../lambdas/wiring.js';
import { eventInfo, eventSchemaId, eventTypes } from '../../scripts/contracts/events.js';
import { REPO_ROOT } from '../../scripts/contracts/files.js';
import { buildOpenApiDocument, SECURITY_SCHEME, TOKEN_PATH } from '../../scripts/contracts/openapi.js';
import {
  businessRuleCase,
  errorCases,
  exampleCorrelationId,
  locationTemplate,
  operationContracts,
  pathParamNames,
  problemExample,
  type Samples,
} from '../../scripts/contracts/operations.js';
import {
  type Accepted,
  type ClaimRecord,
  type HeldEvent,
  type MoneyView,
  type OdooErrorNote,
  type OdooInvoiceLink,
  type OpenException,
  type PatientRecord,
  type PayerRecord,
  Problem,
  type RemittanceRecord,
  type TimelineEntry,
  WorkflowDetail,
  WorkflowList,
  WorkflowListQuery,
  type WorkflowSummary,
} from '../../scripts/contracts/responses.js';
import { REQUEST_SAMPLES, requestSamplePath } from '../../scripts/contracts/samples.js';
import {
  describeDrift,
  findDrift,
  type GeneratedFile,
  generateContracts,
  listGeneratedDir,
  loadSamples,
} from '../../scripts/generate-contracts.js';

/** A fake workflow store and bus for the handlers (hoisted: the handler modules read them at import). */
const fake = vi.hoisted(() => {
  process.env.WORKFLOW_TABLE_NAME = 'WorkflowTable';
  process.env.IDEMPOTENCY_TABLE_NAME = 'IdempotencyTable';
  process.env.EVENT_BUS_NAME = 'rcm-hub-bus';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  // The samples' clients, registered with every facility (issue #15: an unregistered client may do nothing).
  process.env.PARTNER_REGISTRY = JSON.stringify(
    [
      '1h8clearinghouse0exmpl7q',
      '4k9financeops0client0id7q',
      '4tq7example0client0id2m8v',
      '6c0ehr0example0client0k9z',
      '7p2gateway0example0id0c4x',
    ].map((clientId, i) => ({ clientId, name: `sample-${i}`, role: 'developer', facilities: '*' })),
  );
  return {
    recorded: [] as Record<string, unknown>[],
    published: [] as Record<string, unknown>[],
    workflow: undefined as unknown,
    timeline: [] as unknown[],
    held: [] as unknown[],
    list: { items: [] as unknown[] } as { items: unknown[]; cursor?: string },
    master: undefined as unknown,
  };
});

vi.mock('../../lambdas/adapters/dynamodb/workflow-store.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../lambdas/adapters/dynamodb/workflow-store.js')>();
  class FakeWorkflowStore {
    async recordEvent(event: Record<string, unknown>) {
      fake.recorded.push(event);
      // The encounter's first document creates the workflow (from null), as the sample story has it.
      const first = event.type === 'ChargeFinalized';
      return { applied: true, from: first ? null : 'charge_ready', to: 'charge_ready', workflow: {} };
    }
    async recordAccepted(event: Record<string, unknown>) {
      fake.recorded.push(event);
      return { created: event.type === 'ChargeFinalized', state: 'charge_ready' };
    }
    async getWorkflow() {
      return fake.workflow;
    }
    async getTimeline() {
      return fake.timeline;
    }
    async heldEvents() {
      return fake.held;
    }
    async listWorkflows() {
      return fake.list;
    }
    async getMasterRecord() {
      return fake.master;
    }
    // accept-events.ts indexes claims and remittances by id (docs/fhir.md#claim-lookup), and payments in the
    // payer ledger reconciliation reads (docs/reconciliation.md#the-payer-ledger).
    // Ownership (docs/security.md#ownership): the sample story's first writer owns every id.
    async ownerOf() {
      return undefined;
    }
    async claimOwner(_kind: string, _id: string, facilityId: string | null) {
      return facilityId;
    }
    async findClaim() {
      return [];
    }
    async indexClaim() {}
    async indexRemittance() {}
    async indexPayment() {}
  }
  // A request's own view of the workflows (ingest.ts) is the same fake.
  return { ...actual, WorkflowStore: FakeWorkflowStore, ReadOnceWorkflowStore: FakeWorkflowStore };
});

vi.mock('../../lambdas/adapters/eventbridge/event-publisher.js', () => ({
  EventPublisher: class {
    async publish(...events: Record<string, unknown>[]) {
      fake.published.push(...events);
    }
  },
}));

// The idempotency layer (DynamoDB) is the library's business; here every request is a first request.
vi.mock('@aws-lambda-powertools/idempotency', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@aws-lambda-powertools/idempotency')>()),
  makeIdempotent: <T>(fn: T) => fn,
}));

// The JSON intakes' Idempotency-Key guard (DynamoDB, test/integration/accepted-requests.test.ts): a first request.
vi.mock('../../lambdas/adapters/dynamodb/accepted-requests.js', () => ({
  AcceptedRequests: class {
    async claim(_key: unknown, _payload: unknown, answer: unknown) {
      return { first: true, answer };
    }
    async release() {}
  },
}));

type Json = Record<string, unknown>;

const samples = loadSamples();
const files = generateContracts(samples);
const doc = buildOpenApiDocument(samples) as {
  openapi: string;
  servers: { url: string; variables?: Record<string, { default: string; enum?: string[] }> }[];
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
};
const readRepo = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const readJson = (path: string) => JSON.parse(readRepo(path)) as Json;
const intakeNames = Object.keys(intakes) as IntakeName[];
/** Issue #5: routes with a body that are not intakes, and events accepted from webhooks rather than a route. */
const WEBHOOK_WRITE_ROUTES = ['createSubscription', 'replayQuarantinedWebhook'];
const WEBHOOK_EVENTS: EventType[] = ['PaymentRefunded', 'OdooEntryRecorded', 'PaymentReversed'];
/** Issue #4: accepted from an 835 (its PLB segments) rather than from an intake route; payer-level, no encounter. */
const X12_EVENTS: EventType[] = ['ProviderAdjustmentReceived'];
/** Issue 14: an ERA's deposit, from an 835 (BPR/TRN) or from POST /v1/remittance-deposits; payer-level, no encounter. */
const ERA_EVENTS: EventType[] = ['EraDepositReceived'];
/** Issue #6: the exception register's routes with a body, and the event they record (test/unit/exceptions.test.ts). */
const EXCEPTION_WRITE_ROUTES = ['resolveException', 'retryException'];
/** Reconciliation runs (issue #6, docs/reconciliation.md): a body, not an intake. */
const RECONCILIATION_WRITE_ROUTES = ['startReconciliation'];
// Issue 14: a denial resolved as not recoverable queues its write-off, which the Odoo writer books.
const EXCEPTION_EVENTS: EventType[] = ['ExceptionResolved', 'DenialWriteOffApproved', 'DenialWrittenOff'];
const routeOf = (operationId: string) => routes.find((r) => r.operationId === operationId) as ApiRoute;

/** The samples parsed by their EventCatalog schemas (a sample that does not parse fails its own test). */
const ev = Object.fromEntries(
  eventTypes.map((t) => [t, EventCatalog[t].parse(readJson(`events/samples/${t}.json`))]),
) as { [T in EventType]: EventOf<T> };

/** Path parameters of a write route, as the story's event carries them. */
function pathParamsOf(name: IntakeName): Record<string, string> {
  if (name === 'upsertPatient') return { patientId: ev.PatientUpserted.data.patientId };
  if (name === 'upsertPayer') return { payerId: ev.PayerUpserted.data.payerId };
  return {};
}

function apiEvent(
  route: ApiRoute,
  init: Partial<APIGatewayProxyEvent> & { clientId?: string },
): APIGatewayProxyEvent {
  // A registered client unless the test names another (issue #15: reads are per caller too).
  const { clientId = '4tq7example0client0id2m8v', ...rest } = init;
  return {
    httpMethod: route.method,
    resource: route.path,
    path: route.path,
    headers: {},
    multiValueHeaders: {},
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { authorizer: clientId ? { claims: { client_id: clientId } } : {} } as never,
    ...rest,
  };
}

const lambdaContext = { getRemainingTimeInMillis: () => 10_000 } as Context;
const bodyOf = (response: APIGatewayProxyResult) => JSON.parse(response.body) as Json;

describe('generated contracts are checked in (drift)', () => {
  it.each(files.map((f) => [f.path, f] as const))('%s is up to date', (path, file: GeneratedFile) => {
    const drift = findDrift([file], () => []);
    expect(
      drift,
      `${path} differs from a fresh generation: run npm run gen\n${describeDrift(drift)}`,
    ).toEqual([]);
  });

  it('no stale files in generated directories', () => {
    const stale = findDrift(files, listGeneratedDir).filter((d) => d.status === 'stale');
    expect(stale, `stale generated files: run npm run gen\n${describeDrift(stale)}`).toEqual([]);
  });

  it('generation is deterministic and files end with one newline', () => {
    expect(generateContracts(loadSamples())).toEqual(files);
    for (const file of files)
      expect(file.content.endsWith('\n') && !file.content.endsWith('\n\n'), file.path).toBe(true);
  });

  it('the drift check reports changed, missing and stale files', () => {
    const path = 'docs/openapi.json';
    const lines = readRepo(path).split('\n');
    lines[3] = `${lines[3]} `;
    const drift = findDrift(
      [
        { path, content: lines.join('\n') },
        { path: 'docs/not-there.json', content: '{}\n' },
      ],
      (dir) => (dir === 'events/catalog' ? ['events/catalog/Old.schema.json'] : []),
    );
    expect(drift).toEqual([
      expect.objectContaining({ path, status: 'changed', line: 4 }),
      { path: 'docs/not-there.json', status: 'missing' },
      { path: 'events/catalog/Old.schema.json', status: 'stale' },
    ]);
    expect(describeDrift(drift)).toContain('run npm run gen');
  });
});

describe('samples validate against the schemas', () => {
  const sampleFiles = readdirSync(join(REPO_ROOT, 'events/samples')).filter((name) => name.endsWith('.json'));
  const requestFiles = readdirSync(join(REPO_ROOT, 'events/samples/requests')).filter((name) =>
    name.endsWith('.json'),
  );

  it('there is exactly one sample per event type', () => {
    expect(sampleFiles.map((name) => name.replace(/\.json$/, '')).sort()).toEqual([...eventTypes].sort());
  });

  it('there is exactly one request sample per write route, named by its operationId', () => {
    const writeRoutes = routes.filter((r) => r.requestSchema).map((r) => r.operationId);
    expect(requestFiles.map((name) => name.replace(/\.json$/, '')).sort()).toEqual([...writeRoutes].sort());
    expect(Object.keys(REQUEST_SAMPLES).sort()).toEqual([...writeRoutes].sort());
    // Intakes, plus the webhook routes with a body (subscriptions, quarantine replay: issue #5).
    expect(
      writeRoutes
        .filter(
          (id) =>
            !WEBHOOK_WRITE_ROUTES.includes(id) &&
            !EXCEPTION_WRITE_ROUTES.includes(id) &&
            !RECONCILIATION_WRITE_ROUTES.includes(id),
        )
        .sort(),
    ).toEqual([...intakeNames].sort());
  });

  it.each(eventTypes)('events/samples/%s.json is a valid %s envelope', (type) => {
    const parsed = EventCatalog[type].safeParse(readJson(`events/samples/${type}.json`));
    expect(parsed.success, parsed.error?.message).toBe(true);
    expect(eventInfo[type].sources).toContain(parsed.data?.source);
    // Encounter events carry both ids, master data neither (the envelope makes both optional).
    expect(parsed.data?.encounterId === undefined).toBe(parsed.data?.facilityId === undefined);
  });

  it.each(intakeNames)(
    'events/samples/requests/%s.json is a valid body that breaks no business rule',
    (name) => {
      const intake = intakes[name];
      expect(routeOf(name).requestSchema).toBe(intake.schema);
      const parsed = intake.schema.safeParse(readJson(requestSamplePath(name)));
      expect(parsed.success, parsed.error?.message).toBe(true);
      expect(intake.violations?.(intake.toCanonical(parsed.data as never, pathParamsOf(name))) ?? []).toEqual(
        [],
      );
    },
  );

  it('event samples carry only members their schema declares', () => {
    // lambdas/core/payment.ts toCanonicalPayment spreads the request, so PaymentReceived also carries the
    // partner's decimal `amount` next to amountCents; EventCatalog does not declare it (parsing strips it).
    // The sample shows what the hub publishes. When the hub stops adding it, drop it here and in the sample.
    const undeclared: Partial<Record<EventType, string[]>> = {};
    for (const type of eventTypes) {
      const raw = readJson(`events/samples/${type}.json`) as Json & { data: Json };
      const extra = undeclared[type] ?? [];
      const data = Object.fromEntries(Object.entries(raw.data).filter(([k]) => !extra.includes(k)));
      expect(EventCatalog[type].parse(raw), type).toEqual({ ...raw, data });
    }
  });

  it('the remittance sample balances (billed − paid = Σ adjustments, PR = Σ PR adjustments)', () => {
    const r = ev.RemittanceReceived.data;
    const sum = (xs: { amountCents: number }[]) => xs.reduce((total, x) => total + x.amountCents, 0);
    expect(r.billedCents - r.paidCents).toBe(sum(r.adjustments));
    expect(r.patientResponsibilityCents).toBe(sum(r.adjustments.filter((a) => a.group === 'PR')));
    expect(r.adjustments.map((a) => `${a.group}-${a.reason}`)).toEqual(
      expect.arrayContaining(['CO-45', 'PR-1', 'PR-2', 'PR-3']),
    );
  });
});

describe('the samples tell one story: patient → payer → charges → invoice → claim → status → remittance → payment', () => {
  const ids = 'sample ids must be what deterministicEventId derives: update events/samples, then npm run gen';

  it.each(intakeNames)('the %s event is what the hub derives from the request sample', (name) => {
    const intake = intakes[name];
    const event = ev[intake.eventType] as EventEnvelope;
    const data = intake.toCanonical(
      intake.schema.parse(readJson(requestSamplePath(name))) as never,
      pathParamsOf(name),
    );
    expect(event.source).toBe(EventSource.api);
    expect(event.id, ids).toBe(deterministicEventId(intake.eventType, event.clientId, event.idempotencyKey));
    // The sample as checked in (not as parsed): what the hub publishes, undeclared members included.
    expect(readJson(`events/samples/${intake.eventType}.json`).data).toEqual(data);
    expect(event.partitionKey).toBe(intake.partitionKey(data));
    const encounter = intake.encounter(data);
    expect({ encounterId: event.encounterId, facilityId: event.facilityId }).toEqual(
      encounter ?? { encounterId: undefined, facilityId: undefined },
    );
    for (const [param, value] of Object.entries(pathParamsOf(name)))
      expect(operationContracts[name]?.pathParams?.[param]?.example).toBe(value);
  });

  const followUps: [EventType, EventType, (e: typeof ev) => string | undefined][] = [
    ['PartnerSynced', 'PayerUpserted', () => undefined],
    ['InvoicePosted', 'InvoiceIssued', () => undefined],
    ['OdooWriteRejected', 'InvoiceIssued', () => undefined],
    ['EventHeld', 'ClaimStatusChanged', () => undefined],
    ['RemittancePosted', 'RemittanceReceived', () => undefined],
    ['PaymentPosted', 'PaymentReceived', () => undefined],
    ['ExceptionOpened', 'PaymentPosted', (e) => e.ExceptionOpened.data.key],
  ];

  it.each(followUps)(
    '%s is a follow-up of %s (id, correlation, attribution, ordering key)',
    (type, cause, d) => {
      const sample = ev[type] as EventEnvelope;
      const expected = followUpEvent(
        ev[cause] as EventEnvelope,
        type,
        sample.source as EventSource,
        sample.data,
        sample.time,
        d(ev),
      );
      expect(sample.id, ids).toBe(expected.id);
      // A follow-up that moved the workflow carries that change (InvoicePosted: charge_ready → invoice_issued).
      expect(sample).toEqual(
        sample.workflowState ? { ...expected, workflowState: sample.workflowState } : expected,
      );
      expect(Date.parse(sample.time)).toBeGreaterThanOrEqual(Date.parse(ev[cause].time));
    },
  );

  it('WorkflowStateChanged is published only for a change no published event carries: here the tracking-only ClaimRecorded of ClaimSubmitted', () => {
    const claimRecorded = followUpEvent(
      ev.ClaimSubmitted as EventEnvelope,
      'ClaimRecorded',
      EventSource.odooWriter,
      {},
      ev.WorkflowStateChanged.time,
    );
    const expected = followUpEvent(
      claimRecorded,
      'WorkflowStateChanged',
      EventSource.workflow,
      ev.WorkflowStateChanged.data,
      ev.WorkflowStateChanged.time,
    );
    expect(ev.WorkflowStateChanged.id, ids).toBe(expected.id);
    expect(ev.WorkflowStateChanged).toEqual(expected);
    expect(ev.WorkflowStateChanged.data).toEqual({
      from: 'invoice_issued',
      to: 'claim_submitted',
      cause: 'ClaimRecorded',
    });
    // The changes the samples' published events carry themselves.
    expect(ev.ChargeFinalized.workflowState).toEqual({ from: null, to: 'charge_ready' });
    expect(ev.InvoicePosted.workflowState).toEqual({ from: 'charge_ready', to: 'invoice_issued' });
  });

  it('every event type is accepted by a route or follows from another sample', () => {
    const accepted = intakeNames.map((n) => intakes[n].eventType);
    expect([...accepted, ...followUps.map(([t]) => t), 'WorkflowStateChanged'].sort()).toEqual(
      [...eventTypes]
        .filter(
          (t) => !WEBHOOK_EVENTS.includes(t) && !X12_EVENTS.includes(t) && !EXCEPTION_EVENTS.includes(t),
        )
        .sort(),
    );
  });

  it('one encounter, one patient, one payer, one invoice, one claim', () => {
    const encounterEvents = eventTypes.filter((t) => ev[t].encounterId !== undefined);
    for (const t of encounterEvents) {
      expect({ e: ev[t].encounterId, f: ev[t].facilityId, k: ev[t].partitionKey }, t).toEqual({
        e: ev.ChargeFinalized.encounterId,
        f: ev.ChargeFinalized.facilityId,
        k: ev.ChargeFinalized.encounterId,
      });
    }
    expect(eventTypes.filter((t) => ev[t].encounterId === undefined).sort()).toEqual(
      ['PartnerSynced', 'PatientUpserted', 'PayerUpserted', ...X12_EVENTS, ...ERA_EVENTS].sort(),
    );
    const patientId = ev.PatientUpserted.data.patientId;
    const payerId = ev.PayerUpserted.data.payerId;
    const invoice = ev.InvoiceIssued.data;
    const claim = ev.ClaimSubmitted.data;
    expect(ev.ChargeFinalized.data.patientId).toBe(patientId);
    expect(ev.PaymentReceived.data.payer).toEqual({ kind: 'patient', id: patientId });
    expect([invoice.billTo.id, claim.payerId, ev.RemittanceReceived.data.payerId]).toEqual([
      payerId,
      payerId,
      payerId,
    ]);
    expect(invoice.billTo.name).toBe(ev.PayerUpserted.data.name);
    expect(ev.PartnerSynced.data).toMatchObject({ kind: 'payer', id: payerId, applied: true });
    // Master data and the invoice's bill-to find the same Odoo partner (ref rcm:payer:<id>).
    expect(ev.InvoicePosted.data.odooPartnerId).toBe(ev.PartnerSynced.data.odooPartnerId);
    // What was coded is what was invoiced and claimed.
    expect(ev.ChargeFinalized.data.lines.map((l) => [l.code, l.amountCents])).toEqual(
      invoice.lines.map((l) => [l.code, l.amountCents]),
    );
    expect(ev.ChargeFinalized.data.totalCents).toBe(invoice.totalCents);
    expect(ev.InvoicePosted.data).toMatchObject({
      invoiceId: invoice.invoiceId,
      amountTotalCents: invoice.totalCents,
      alreadyPresent: false,
    });
    expect(claim.invoiceIds).toEqual([invoice.invoiceId]);
    expect(claim.billedCents).toBe(invoice.totalCents);
    expect(ev.ClaimStatusChanged.data.claimId).toBe(claim.claimId);
    expect(ev.RemittanceReceived.data).toMatchObject({
      claimId: claim.claimId,
      billedCents: claim.billedCents,
      payerClaimControlNumber: ev.ClaimStatusChanged.data.payerClaimControlNumber,
    });
    expect(ev.InvoicePosted.workflowState).toEqual({ from: 'charge_ready', to: 'invoice_issued' });
    expect(ev.OdooWriteRejected.data).toMatchObject({
      subjectType: 'InvoiceIssued',
      subjectId: invoice.invoiceId,
      sourceEventId: ev.InvoiceIssued.id,
    });
  });

  it('documents arrive in story order, except the claim status that overtook its claim and was held', () => {
    const story: EventType[] = [
      'PayerUpserted',
      'PartnerSynced',
      'PatientUpserted',
      'ChargeFinalized',
      'InvoiceIssued',
      'InvoicePosted',
      'ClaimStatusChanged',
      'EventHeld',
      'ClaimSubmitted',
      'RemittanceReceived',
      'RemittancePosted',
      'PaymentReceived',
      'PaymentPosted',
    ];
    const times = story.map((t) => Date.parse(ev[t].time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(ev.EventHeld.data).toEqual({
      heldEventId: ev.ClaimStatusChanged.id,
      heldType: 'ClaimStatusChanged',
      waitingFor: `claim ${ev.ClaimSubmitted.data.claimId}`,
    });
  });

  it('the remittance was booked as the posting rules plan it', () => {
    const invoice = ev.InvoiceIssued.data;
    const plan = planRemittancePosting(ev.RemittanceReceived.data, {
      payerInvoice: {
        invoiceId: invoice.invoiceId,
        totalCents: invoice.totalCents,
        residualCents: invoice.totalCents,
      },
      patientId: ev.ChargeFinalized.data.patientId,
    });
    expect(plan.exceptions).toEqual([]);
    const posted = ev.RemittancePosted.data;
    expect(posted.steps.map((s) => [s.ref, s.kind])).toEqual(plan.steps.map((s) => [s.ref, s.kind]));
    for (const step of posted.steps)
      expect(step.model).toBe(step.kind === 'payment' ? 'account.payment' : 'account.move');
    expect(posted.summary).toEqual(plan.summary);
    const remittance = ev.RemittanceReceived.data;
    expect(posted).toMatchObject({
      remittanceId: remittance.remittanceId,
      claimId: remittance.claimId,
      payerId: remittance.payerId,
      payerClaimControlNumber: remittance.payerClaimControlNumber,
      traceNumber: remittance.payment.traceNumber,
    });
    const patientInvoice = plan.steps.find((s) => s.kind === 'patientInvoice');
    expect(patientInvoice?.kind === 'patientInvoice' && patientInvoice.invoiceId).toBe(
      patientInvoiceId(invoice.invoiceId, remittance.remittanceId),
    );
    // The patient pays the invoice the remittance created for their share.
    expect(ev.PaymentReceived.data.appliesTo.invoiceId).toBe(
      patientInvoiceId(invoice.invoiceId, remittance.remittanceId),
    );
  });

  it('the patient payment was booked as planned, and its overpayment opened the exception', () => {
    const payment = ev.PaymentReceived.data;
    const plan = planPaymentPosting(payment, {
      invoice: {
        invoiceId: payment.appliesTo.invoiceId,
        residualCents: ev.RemittanceReceived.data.patientResponsibilityCents,
        billTo: 'patient',
      },
    });
    expect(ev.PaymentPosted.data).toMatchObject({
      paymentId: payment.paymentId,
      invoiceId: payment.appliesTo.invoiceId,
      payerKind: payment.payer.kind,
      amountCents: payment.amountCents,
    });
    expect(ev.PaymentPosted.data.steps.map((s) => [s.ref, s.kind, s.model])).toEqual(
      plan.steps.map((s) => [s.ref, s.kind, 'account.payment']),
    );
    const [exception] = plan.exceptions;
    expect(plan.exceptions).toHaveLength(1);
    expect(ev.ExceptionOpened.data).toEqual({
      key: exception?.key,
      team: exception?.team,
      reason: `${exception?.reason} (${formatCents(exception?.amountCents ?? 0)})`,
      amountCents: exception?.amountCents,
      sourceEventId: ev.PaymentReceived.id,
    });
  });
});

describe('response examples and problems', () => {
  it('response examples validate against the response schemas, with no member the schema lacks', () => {
    for (const [operationId, contract] of Object.entries(operationContracts)) {
      for (const r of [contract.success, ...(contract.otherResponses ?? [])]) {
        const example = r.example(samples);
        const parsed = r.schema.safeParse(example);
        expect(parsed.success, `${operationId}: ${parsed.error?.message}`).toBe(true);
        expect(parsed.data, `${operationId}: a member the schema does not declare`).toEqual(example);
      }
    }
    const detail = WorkflowDetail.parse(operationContracts.getWorkflow?.success.example(samples));
    expect(detail.timeline.map((t) => t.eventId)).toEqual(
      expect.arrayContaining(
        eventTypes
          .filter((t) => ev[t].encounterId !== undefined && t !== 'WorkflowStateChanged')
          .flatMap((t) =>
            // Published only (not on the timeline): state changes, exceptions, rejections of another branch.
            // Webhook events (docs/webhooks.md) tell their own story, not the sample workflow's.
            ['ExceptionOpened', 'OdooWriteRejected', ...WEBHOOK_EVENTS, ...EXCEPTION_EVENTS].includes(t)
              ? []
              : [ev[t].id],
          ),
      ),
    );
    expect(detail.money.openBalanceCents).toBe(
      detail.money.billedCents -
        detail.money.paidCents -
        detail.money.adjustedCents -
        detail.money.patientPaidCents,
    );
    expect(
      WorkflowList.parse(operationContracts.listWorkflows?.success.example(samples)).nextCursor,
    ).toBeTruthy();
  });

  it('problem examples validate against Problem, with the correlation id only where the handler sends one', () => {
    for (const route of routes) {
      const contract = operationContracts[route.operationId];
      for (const c of contract ? errorCases(route, contract, samples) : []) {
        const example = problemExample(c, exampleCorrelationId(route, samples));
        const parsed = Problem.safeParse(example);
        expect(parsed.success, `${route.operationId} ${c.type}: ${parsed.error?.message}`).toBe(true);
        expect(parsed.data?.status).toBe(c.status);
        if (c.by === 'handler')
          expect('correlationId' in example, `${route.operationId} ${c.title}`).toBe(
            contract?.correlationHeader === true,
          );
      }
    }
  });

  it('only routes whose intake has business rules answer "Business rule violated"', () => {
    for (const name of intakeNames)
      expect(businessRuleCase(name, samples) !== undefined, name).toBe(
        intakes[name].violations !== undefined,
      );
  });

  it('response schemas mirror the handler and store types (enforced by npm run typecheck)', () => {
    type Detail = z.infer<typeof WorkflowDetail>;
    type SummaryKeys =
      | 'encounterId'
      | 'facilityId'
      | 'state'
      | 'stage'
      | 'stateSince'
      | 'openExceptions'
      | 'payerIds'
      | 'createdAt'
      | 'updatedAt';
    type Held = Awaited<ReturnType<WorkflowStore['heldEvents']>>[number];
    expectTypeOf<z.infer<typeof Accepted>>().toEqualTypeOf<Omit<HandlerAccepted, 'location'>>();
    expectTypeOf<z.infer<typeof TimelineEntry>>().toEqualTypeOf<StoreTimelineEntry>();
    // The store's link is an intersection; flatten it so optional members compare as written.
    type Flat<T> = { [K in keyof T]: T[K] };
    expectTypeOf<z.infer<typeof OdooInvoiceLink>>().toEqualTypeOf<Flat<Workflow['odooInvoices'][string]>>();
    expectTypeOf<z.infer<typeof OdooErrorNote>>().toExtend<NonNullable<Workflow['lastOdooError']>>();
    expectTypeOf<Pick<z.infer<typeof WorkflowSummary>, SummaryKeys>>().toEqualTypeOf<
      Pick<Workflow, SummaryKeys>
    >();
    expectTypeOf<
      Omit<z.infer<typeof MoneyView>, 'patientBalanceCents' | 'openBalanceCents'>
    >().toEqualTypeOf<MoneySummary>();
    expectTypeOf<z.infer<typeof ClaimRecord>>().toEqualTypeOf<StoreClaimRecord>();
    expectTypeOf<z.infer<typeof RemittanceRecord>>().toEqualTypeOf<StoreRemittanceRecord>();
    expectTypeOf<z.infer<typeof OpenException>>().toEqualTypeOf<StoreOpenException>();
    expectTypeOf<Pick<z.infer<typeof HeldEvent>, 'heldAt' | 'waitingFor'>>().toEqualTypeOf<
      Pick<Held, 'heldAt' | 'waitingFor'>
    >();
    expectTypeOf<z.infer<typeof HeldEvent>['eventId']>().toEqualTypeOf<Held['envelope']['id']>();
    expectTypeOf<Detail['claims'][number]>().toEqualTypeOf<Workflow['claims'][string]>();
    expectTypeOf<Detail['remittances'][number]>().toEqualTypeOf<Workflow['remittances'][string]>();
    expectTypeOf<Detail['exceptions'][number]>().toEqualTypeOf<Workflow['exceptions'][string]>();
    expectTypeOf<Detail['timeline'][number]>().toEqualTypeOf<StoreTimelineEntry>();
    expectTypeOf<z.infer<typeof PatientRecord>['version']>().toEqualTypeOf<
      MasterRecordItem<unknown>['version']
    >();
    expectTypeOf<z.infer<typeof PatientRecord>['syncedAt']>().toEqualTypeOf<
      MasterRecordItem<unknown>['updatedAt']
    >();
    expectTypeOf<z.infer<typeof PatientRecord>['odooPartnerId']>().toEqualTypeOf<NonNullable<
      MasterRecordItem<unknown>['odooPartnerId']
    > | null>();
    expectTypeOf<z.infer<typeof PatientRecord>['sourceSystem']>().toEqualTypeOf<
      PatientUpserted['sourceSystem']
    >();
    expectTypeOf<z.infer<typeof PayerRecord>['payerType']>().toEqualTypeOf<
      PayerUpserted['payerType'] | undefined
    >();
  });
});

describe('the handlers answer what the contracts say (fake store and bus)', () => {
  beforeEach(() => {
    fake.recorded.length = 0;
    fake.published.length = 0;
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(intakeNames)(
    'ingest %s: 202, Accepted example, Location, and publishes exactly the sample',
    async (name) => {
      const route = routeOf(name);
      const event = ev[intakes[name].eventType] as EventEnvelope;
      vi.setSystemTime(new Date(event.time));
      const response = await ingestHandler(
        apiEvent(route, {
          clientId: event.clientId,
          headers: {
            'Content-Type': 'application/json',
            'Idempotency-Key': event.idempotencyKey,
            'X-Correlation-Id': event.correlationId,
          },
          pathParameters: Object.keys(pathParamsOf(name)).length ? pathParamsOf(name) : null,
          body: readRepo(requestSamplePath(name)),
        }),
        lambdaContext,
      );
      expect(response.statusCode, response.body).toBe(route.successStatus);
      expect(bodyOf(response)).toEqual(operationContracts[name]?.success.example(samples));
      const location = locationTemplate(name).replace(/\{(\w+)\}/g, (_, key: string) =>
        encodeURIComponent(String((event.data as Json)[key] ?? event[key as keyof EventEnvelope])),
      );
      expect(response.headers).toMatchObject({ Location: location, 'X-Correlation-Id': event.correlationId });
      expect(fake.published[0]).toEqual(readJson(`events/samples/${event.type}.json`));
      // The encounter's first document opens its workflow and carries that change itself (no second event).
      expect(fake.published).toHaveLength(1);
      if (name === 'submitCharges')
        expect(fake.published[0]?.workflowState).toEqual({ from: null, to: 'charge_ready' });
      // What the timeline records for the document is what the workflow example shows.
      const timeline = WorkflowDetail.parse(
        operationContracts.getWorkflow?.success.example(samples),
      ).timeline;
      const recorded = fake.recorded[0] as StoreTimelineEntry | undefined;
      if (event.encounterId === undefined) expect(recorded).toBeUndefined();
      else expect(timeline.find((t) => t.eventId === event.id)?.detail).toEqual(recorded?.detail);
    },
  );

  it('ingest: an unbalanced remittance is 400 with the errors the contract documents', async () => {
    const event = ev.RemittanceReceived;
    const documented = businessRuleCase('submitRemittance', samples);
    const unbalanced = { ...(readJson(requestSamplePath('submitRemittance')) as Json), paidAmount: '85.00' };
    const response = await ingestHandler(
      apiEvent(routeOf('submitRemittance'), {
        clientId: event.clientId,
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'unbalanced-0001' },
        body: JSON.stringify(unbalanced),
      }),
      lambdaContext,
    );
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({
      title: documented?.title,
      detail: documented?.detail,
      errors: documented?.errors,
    });
    expect(fake.published).toEqual([]);
  });

  /** The store's Workflow behind the detail example (the inverse of read-workflows.ts `view`). */
  function workflowBehind(detail: z.infer<typeof WorkflowDetail>): Workflow {
    const byKey = <T, K extends keyof T>(items: T[], key: K) =>
      Object.fromEntries(items.map((item) => [item[key] as string, item]));
    const { patientBalanceCents: _b, openBalanceCents: _o, ...money } = detail.money;
    return {
      encounterId: detail.encounterId,
      facilityId: detail.facilityId,
      state: detail.state,
      stage: detail.stage,
      stateSince: detail.stateSince,
      openExceptions: detail.openExceptions,
      payerIds: detail.payerIds,
      createdAt: detail.createdAt,
      updatedAt: detail.updatedAt,
      version: 14,
      patientId: ev.ChargeFinalized.data.patientId,
      odooInvoices: byKey(detail.odoo.invoices, 'invoiceId'),
      claims: byKey(detail.claims, 'claimId'),
      remittances: byKey(detail.remittances, 'remittanceId'),
      payments: {
        [ev.PaymentReceived.data.paymentId]: {
          paymentId: ev.PaymentReceived.data.paymentId,
          invoiceId: ev.PaymentReceived.data.appliesTo.invoiceId,
          amountCents: ev.PaymentReceived.data.amountCents,
        },
      },
      exceptions: byKey(detail.exceptions, 'key'),
      money,
      appliedEventIds: detail.timeline.map((t) => t.eventId),
    };
  }

  it('readWorkflows detail: the example is exactly what the handler answers', async () => {
    const example = operationContracts.getWorkflow?.success.example(samples) as z.infer<
      typeof WorkflowDetail
    >;
    fake.workflow = workflowBehind(example);
    fake.timeline = example.timeline;
    fake.held = [];
    const response = await readWorkflowsHandler(
      apiEvent(routeOf('getWorkflow'), { pathParameters: { encounterId: example.encounterId } }),
    );
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual(example);

    const heldEnvelope = ev.ClaimStatusChanged as EventEnvelope;
    fake.held = [
      { envelope: heldEnvelope, heldAt: ev.EventHeld.time, waitingFor: ev.EventHeld.data.waitingFor },
    ];
    const held = WorkflowDetail.parse(
      bodyOf(
        await readWorkflowsHandler(
          apiEvent(routeOf('getWorkflow'), { pathParameters: { encounterId: example.encounterId } }),
        ),
      ),
    ).held;
    expect(held).toEqual([
      {
        eventId: heldEnvelope.id,
        type: heldEnvelope.type,
        heldAt: ev.EventHeld.time,
        waitingFor: ev.EventHeld.data.waitingFor,
      },
    ]);
  });

  it('readWorkflows list: the example is exactly what the handler answers', async () => {
    const detail = operationContracts.getWorkflow?.success.example(samples) as z.infer<typeof WorkflowDetail>;
    const example = operationContracts.listWorkflows?.success.example(samples) as z.infer<
      typeof WorkflowList
    >;
    fake.list = {
      items: [workflowBehind(detail)],
      ...(example.nextCursor ? { cursor: example.nextCursor } : {}),
    };
    const query = operationContracts.listWorkflows?.query?.example ?? {};
    const response = await readWorkflowsHandler(
      apiEvent(routeOf('listWorkflows'), { queryStringParameters: query }),
    );
    expect(response.statusCode, response.body).toBe(200);
    expect(bodyOf(response)).toEqual(example);
  });

  it('readWorkflows list: an invalid query is 400 with the errors the contract documents', async () => {
    const documented = operationContracts.listWorkflows?.errors.find((c) => c.title === 'Invalid query');
    const response = await readWorkflowsHandler(
      apiEvent(routeOf('listWorkflows'), { queryStringParameters: { limit: '500' } }),
    );
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ title: documented?.title, errors: documented?.errors });
  });

  it('the documented query schema accepts and refuses what the handler does', () => {
    const shape = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', metadata: z.registry() });
    expect(shape(WorkflowListQuery)).toEqual(shape(HandlerWorkflowListQuery));
    const queries: Record<string, string>[] = [
      {},
      { state: 'claim_submitted', olderThan: 'P2D' },
      { state: 'stuck' },
      { olderThan: 'P' },
      { olderThan: 'PT' },
      { olderThan: 'PT36H' },
      { olderThan: 'P1DT12H30M' },
      { olderThan: '2d' },
      { limit: '0' },
      { limit: '200' },
      { limit: '201' },
      { limit: '2.5' },
      { limit: 'ten' },
      { payerId: 'PAYER-BCBS-IL', facilityId: 'FAC-0042' },
      { payerId: ' bad' },
      { cursor: 'x'.repeat(2049) },
      { sort: 'asc' },
    ];
    for (const q of queries) {
      const mine = WorkflowListQuery.safeParse(q);
      const theirs = HandlerWorkflowListQuery.safeParse(q);
      expect(mine.success, JSON.stringify(q)).toBe(theirs.success);
      expect(mine.data).toEqual(theirs.data);
    }
  });

  it.each(['patient', 'payer'] as const)(
    'readMasterData %s: the example is exactly what the handler answers',
    async (kind) => {
      const operationId = kind === 'patient' ? 'getPatient' : 'getPayer';
      const example = operationContracts[operationId]?.success.example(samples) as Json;
      const record = kind === 'patient' ? ev.PatientUpserted.data : ev.PayerUpserted.data;
      fake.master = {
        record,
        odooPartnerId: example.odooPartnerId,
        version: example.version,
        updatedAt: example.syncedAt,
      };
      const response = await readMasterDataHandler(
        apiEvent(routeOf(operationId), { pathParameters: { [`${kind}Id`]: String(example[`${kind}Id`]) } }),
      );
      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toEqual(example);
    },
  );
});

describe('OpenAPI document covers every route', () => {
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op })),
  );

  it('is OpenAPI 3.1.0 with one operation per route and nothing else', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual(
      routes.map((r) => `${r.method} ${r.path}`).sort(),
    );
  });

  it('declares OAuth2 client credentials with every route scope', () => {
    const scheme = doc.components.securitySchemes[SECURITY_SCHEME] as {
      type: string;
      flows: { clientCredentials: { tokenUrl: string; scopes: Record<string, string> } };
    };
    expect(scheme.type).toBe('oauth2');
    expect(scheme.flows.clientCredentials.tokenUrl).toBe(TOKEN_PATH);
    const scopes = [...new Set(routes.flatMap((r) => (r.scope ? [r.scope] : [])))];
    expect(Object.keys(scheme.flows.clientCredentials.scopes).sort()).toEqual(scopes.sort());
  });

  it.each(routes.map((r) => [r.operationId, r] as const))(
    '%s: operation, security, headers, body, responses',
    (_, route) => {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()] as Json & {
        parameters?: { name: string; in: string; required?: boolean }[];
        security?: Record<string, string[]>[];
        requestBody?: { required?: boolean; content: Record<string, { schema: { $ref?: string } }> };
        responses: Record<string, Json>;
      };
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op.operationId).toBe(route.operationId);
      expect(op.summary).toBe(route.summary);
      expect(op.security).toEqual(route.scope === null ? [] : [{ [SECURITY_SCHEME]: [route.scope] }]);

      const idempotencyKey = op.parameters?.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
      if (route.idempotent) expect(idempotencyKey?.required).toBe(true);
      else expect(idempotencyKey).toBeUndefined();

      if (route.requestSchema) {
        const id = (route.requestSchema.meta() as { id?: string } | undefined)?.id;
        expect(op.requestBody?.required).toBe(true);
        expect(op.requestBody?.content['application/json']?.schema.$ref).toBe(`#/components/schemas/${id}`);
      } else {
        expect(op.requestBody).toBeUndefined();
      }

      const contract = operationContracts[route.operationId];
      const queryNames = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      expect(queryNames).toEqual(Object.keys(contract?.query?.schema.shape ?? {}));
      if (route.operationId === 'listWorkflows')
        expect(queryNames).toEqual(Object.keys(HandlerWorkflowListQuery.shape));
      const location = (op.responses[String(route.successStatus)]?.headers as Json | undefined)?.Location as
        | { description: string }
        | undefined;
      if (route.operationId in intakes)
        expect(location?.description).toContain(locationTemplate(route.operationId as IntakeName));
      else if (contract?.success.location) expect(location?.description).toContain(contract.success.location);
      else expect(location).toBeUndefined();

      const statuses = Object.keys(op.responses);
      expect(statuses).toContain(String(route.successStatus));
      // 409: a reused Idempotency-Key, or an exception already closed (the register's write routes).
      expect(statuses.includes('409')).toBe(
        route.idempotent || EXCEPTION_WRITE_ROUTES.includes(route.operationId),
      );
      expect(statuses.includes('401') && statuses.includes('403')).toBe(route.scope !== null);
      expect(statuses.includes('415') && statuses.includes('413')).toBe(route.requestSchema !== undefined);
      if (route.requestSchema)
        expect(op.requestBody?.content['application/json']).toMatchObject({
          example: readJson(requestSamplePath(route.operationId)),
        });
      for (const status of statuses.filter((s) => /^[45]/.test(s))) {
        const content = op.responses[status]?.content as Record<string, unknown>;
        const problemOrBody = Object.keys(content);
        expect(problemOrBody.length, `${route.operationId} ${status}`).toBe(1);
      }
    },
  );

  it('has a contract for every route and no contract without a route', () => {
    expect(Object.keys(operationContracts).sort()).toEqual(routes.map((r) => r.operationId).sort());
  });
});

/** Every `$ref` string in a JSON value, with where it was found. */
function refsIn(value: unknown, at = '#'): { ref: string; at: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => refsIn(v, `${at}/${i}`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) =>
      k === '$ref' && typeof v === 'string'
        ? [{ ref: v, at }]
        : refsIn(v, `${at}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`),
    );
  }
  return [];
}

function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined),
      root,
    );
}

describe('OpenAPI document is structurally sound', () => {
  const checkedIn = readJson('docs/openapi.json');

  it('every $ref is local and resolves', () => {
    const refs = refsIn(checkedIn);
    expect(refs.length).toBeGreaterThan(0);
    const broken = refs.filter(({ ref }) => resolvePointer(checkedIn, ref) === undefined);
    expect(broken).toEqual([]);
  });

  it('every component schema is used, and none leaks a top-level null (zod-to-openapi .nullable() quirk)', () => {
    const used = new Set(refsIn(checkedIn).map(({ ref }) => ref));
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      expect(used.has(`#/components/schemas/${name}`), `${name} is unused`).toBe(true);
      const type = schema.type;
      expect(Array.isArray(type) && type.includes('null'), `${name} is nullable at the top`).toBe(false);
    }
  });

  it('every path parameter is declared once, as required, and nothing else is declared in: path', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const params = ((op.parameters ?? []) as { name: string; in: string; required?: boolean }[]).filter(
          (p) => p.in === 'path',
        );
        expect(params.map((p) => p.name).sort(), `${method} ${path}`).toEqual(pathParamNames(path).sort());
        for (const p of params) expect(p.required, `${method} ${path} ${p.name}`).toBe(true);
        const all = (op.parameters ?? []) as { name: string; in: string }[];
        expect(new Set(all.map((p) => `${p.in}:${p.name.toLowerCase()}`)).size).toBe(all.length);
      }
    }
  });

  it('operationIds are unique', () => {
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every operation has a 2xx, described responses, and security naming a defined scheme and scope', () => {
    const schemes = doc.components.securitySchemes as Record<
      string,
      { flows: { clientCredentials: { scopes: Record<string, string> } } }
    >;
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        const responses = op.responses as Record<string, { description?: string }>;
        expect(
          Object.keys(responses).some((s) => /^2\d\d$/.test(s)),
          String(op.operationId),
        ).toBe(true);
        for (const [status, r] of Object.entries(responses)) {
          expect(r.description, `${op.operationId} ${status}`).toBeTruthy();
        }
        for (const requirement of (op.security ?? []) as Record<string, string[]>[]) {
          for (const [name, scopes] of Object.entries(requirement)) {
            const scheme = schemes[name];
            expect(scheme, name).toBeDefined();
            for (const scope of scopes)
              expect(Object.keys(scheme?.flows.clientCredentials.scopes ?? {})).toContain(scope);
          }
        }
      }
    }
  });

  it('server URL variables are all defined with defaults', () => {
    for (const server of doc.servers) {
      for (const [, name] of server.url.matchAll(/\{(\w+)\}/g)) {
        const variable = server.variables?.[name as string];
        expect(variable?.default, `${server.url} {${name}}`).toBeTruthy();
        if (variable?.enum) expect(variable.enum).toContain(variable.default);
      }
    }
  });
});

describe('event catalog', () => {
  const index = readJson('events/catalog/index.json') as {
    events: { type: string; version: number; schema: string; $id: string }[];
  };

  it('index lists every EventCatalog type with its schema file and $id', () => {
    expect(index.events.map((e) => e.type)).toEqual(eventTypes);
    for (const entry of index.events) {
      const schema = readJson(`events/catalog/${entry.schema}`);
      expect(schema.$id).toBe(eventSchemaId(entry.type));
      expect(entry.$id).toBe(schema.$id);
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(entry.version).toBe(EventCatalog[entry.type as EventType].shape.version.value);
    }
  });

  it.each(eventTypes)('%s.schema.json: every $ref resolves, and the sample is its example', (type) => {
    const schema = readJson(`events/catalog/${type}.schema.json`);
    const broken = refsIn(schema).filter(({ ref }) => resolvePointer(schema, ref) === undefined);
    expect(broken).toEqual([]);
    expect(schema.examples).toEqual([readJson(`events/samples/${type}.json`)]);
  });
});
