/**
 * Environment variable names shared by lib/ (CDK), local/ (runtime) and the handlers — one spelling. Its own
 * module, imported by handlers directly: importing it from wiring.ts would bundle the whole route table, and with
 * it every intake's schemas, into functions that need only a few names (issue 16, docs/benchmarks.md).
 */
export const env = {
  stage: 'RCM_STAGE',
  workflowTable: 'WORKFLOW_TABLE_NAME',
  idempotencyTable: 'IDEMPOTENCY_TABLE_NAME',
  eventBus: 'EVENT_BUS_NAME',
  odooWriteQueue: 'ODOO_WRITE_QUEUE_URL',
  odooWriteDlq: 'ODOO_WRITE_DLQ_URL',
  odooSecret: 'ODOO_SECRET_ID',
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  /** Receives after which the writer gives a transiently failing message up to the DLQ itself, with its reason. */
  odooWriteMaxReceiveCount: 'ODOO_WRITE_MAX_RECEIVE_COUNT',
  /** Seconds an out-of-order event may wait for what it depends on before an exception is opened. */
  heldEventMaxAgeSeconds: 'HELD_EVENT_MAX_AGE_SECONDS',
  /**
   * Seconds until a transiently failed Odoo write is received again (unset: 5, 20, 80, 320 s by receive, or
   * the next probe while the breaker is open — lambdas/core/odoo-breaker.ts). The local runtime and tests
   * shorten the retry without shortening the visibility timeout, which must outlast any invocation in flight
   * (else a slow write is redelivered while it runs and books twice). Not set in AWS.
   */
  odooWriteRetryDelaySeconds: 'ODOO_WRITE_RETRY_DELAY_SECONDS',
  /**
   * Seconds after a batched write whose answer was lost (a timeout, a 502) during which Odoo may still commit it
   * (default 150): its records are not looked at again before then, or a late commit would double them. At
   * least the Odoo server's `limit_time_real` (120 s by default with workers) plus the time a request may wait
   * for a worker. Tests shorten it.
   */
  odooLateCommitSeconds: 'ODOO_LATE_COMMIT_SECONDS',
  /**
   * ERA booking (issue 16, core/era-booking.ts): unset or `on` (the defaults), or JSON `{"chunk","quietMs",
   * "maxWaitMs"}` — an ERA's claim payments are booked together by rounds in the ERA's FIFO group; `off`: each
   * in its own turn, as before.
   */
  odooEraBooking: 'ODOO_ERA_BOOKING',
  webhookTable: 'WEBHOOK_TABLE_NAME',
  webhookSourcesSecret: 'WEBHOOK_SOURCES_SECRET_ID',
  inboundWebhookQueue: 'INBOUND_WEBHOOK_QUEUE_URL',
  inboundWebhookDlq: 'INBOUND_WEBHOOK_DLQ_URL',
  webhookDeliveryQueue: 'WEBHOOK_DELIVERY_QUEUE_URL',
  webhookDeliveryDlq: 'WEBHOOK_DELIVERY_DLQ_URL',
  /** JSON `{"baseSeconds","capSeconds","budgetSeconds"}` for outbound retries (tests shorten it). */
  webhookRetryPolicy: 'WEBHOOK_RETRY_POLICY',
  /** Seconds a signature timestamp may differ from our clock (default 300). */
  webhookToleranceSeconds: 'WEBHOOK_TOLERANCE_SECONDS',
  remittanceUploadsBucket: 'REMITTANCE_UPLOADS_BUCKET_NAME',
  exceptionTable: 'EXCEPTION_TABLE_NAME',
  /** The Odoo write DLQ's URL again, for the handler that takes messages out of it (receive/delete grant). */
  odooWriteDlqRedrive: 'ODOO_WRITE_DLQ_REDRIVE_URL',
  /** JSON of the stage's monitoring thresholds (lambdas/monitoring-alarms.ts) for the SLA sweeper. */
  slaThresholds: 'SLA_THRESHOLDS',
  reconciliationStateMachine: 'RECONCILIATION_STATE_MACHINE_ARN',
  /** ARN of the WebhookSubscriptions rule (`…:rule/<bus>/<rule>`), which the subscriptions handler narrows. */
  webhookSubscriptionsRule: 'WEBHOOK_SUBSCRIPTIONS_RULE_ARN',
  /** Days a payer normally takes to remit; a claim older than that with no remittance is reported. */
  reconciliationLagDays: 'RECONCILIATION_REMITTANCE_LAG_DAYS',
  /** JSON `{"<payerId>": days}`: payers whose expected lag differs from the default. */
  reconciliationPayerLagDays: 'RECONCILIATION_PAYER_LAG_DAYS',
  /** JSON `{"accounts":{role: code},"bankJournalCode"}`: what the hub books to in Odoo (docs/operations.md#odoo-setup). */
  odooLedgerSetup: 'ODOO_LEDGER_SETUP',
  /** JSON array of the registered clients (core/partners.ts PartnerClient), set by lib/ from stage config. */
  partnerRegistry: 'PARTNER_REGISTRY',
  /** Local stage only ('true'): loopback webhook receivers allowed (the tests'), never in a deployed stage. */
  webhookAllowLoopback: 'WEBHOOK_ALLOW_LOOPBACK',
  /** Local only: the hub's own loopback ports (Odoo sandbox, DynamoDB, gateway), refused as webhook targets. */
  webhookDeniedLoopbackPorts: 'WEBHOOK_DENIED_LOOPBACK_PORTS',
  /** Local only: the registry file `npm run clients` maintains, re-read when it changes. */
  partnerRegistryFile: 'PARTNER_REGISTRY_FILE',
  /** JSON `{"default": {"filingDays","appealDays"}, "payers": {"<payerId>": {...}}}` for triage exposure. */
  triagePayerWindows: 'TRIAGE_PAYER_WINDOWS',
  /** JSON `{"<team>": "<SNS topic ARN>"}`: where a newly registered exception's alert goes (docs/triage.md#alerts). */
  exceptionAlertTopics: 'EXCEPTION_ALERT_TOPICS',
  /** Bedrock model id for the optional triage summariser (unset: off; docs/triage.md#summariser). */
  triageSummaryModelId: 'TRIAGE_SUMMARY_MODEL_ID',
  auditTable: 'AUDIT_TABLE_NAME',
  /** AWS only (issue 12): UUID of the Odoo writer's event source mapping, which the breaker probe disables. */
  odooWriterEventSourceMapping: 'ODOO_WRITER_EVENT_SOURCE_MAPPING_UUID',
  /** AWS only (issue 12): the breaker probe's function name, which the writer wakes when the breaker opens. */
  odooBreakerProbeFunction: 'ODOO_BREAKER_PROBE_FUNCTION_NAME',
  /** AWS only (issue 12): the Odoo write queue whose depth the probe reads (GetQueueAttributes only, no send). */
  odooBreakerBacklogQueue: 'ODOO_BREAKER_BACKLOG_QUEUE_URL',
  /** AWS only (issue 12): the integration alerts topic the probe tells "Odoo down, backlog N, draining at R/s". */
  odooBreakerAlertTopic: 'ODOO_BREAKER_ALERT_TOPIC_ARN',
} as const;
