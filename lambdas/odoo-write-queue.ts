/**
 * The Odoo writer's timeout and its queue's redelivery settings, read by wiring.ts's handler and queue tables.
 * Their own module so that the writer, which needs two of these numbers at run time, does not bundle the route
 * table and every schema behind it (issue 16, docs/benchmarks.md).
 */
export const odooWriterTimeoutSeconds = 60;

export const odooWriteQueueRedelivery = {
  /** SQS visibility timeout; at least 6× the consumer's timeout (AWS guidance for event source mappings). */
  visibilityTimeoutSeconds: 6 * odooWriterTimeoutSeconds,
  maxReceiveCount: 5,
} as const;
