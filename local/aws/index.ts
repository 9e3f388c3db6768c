export { AwsServiceError } from './errors.js';
export {
  type ArchivedEvent,
  type BusEvent,
  DEFAULT_RETRY,
  type DeadLetteredEvent,
  entrySize,
  LocalEventBus,
  type LocalEventBusOptions,
  type PutEventsEntry,
  type PutEventsResult,
  type RetryPolicy,
  type RuleOptions,
  sqsTarget,
} from './event-bus.js';
export {
  type EventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
  validateEventPattern,
} from './event-pattern.js';
export { LocalSecrets, type LocalSecretsOptions } from './secrets.js';
export { type LocalAws, localAwsEnv, type StartLocalAwsOptions, startLocalAws } from './server.js';
export {
  type CreateQueueOptions,
  LocalSqs,
  type LocalSqsOptions,
  md5OfMessageAttributes,
  type ReceivedMessage,
  type ReceiveMessageInput,
  type RedrivePolicyOptions,
  type SendMessageInput,
  type SendMessageOutput,
  type WireMessageAttributeValue,
} from './sqs.js';
export {
  makeLambdaContext,
  type SqsEventSource,
  type SqsEventSourceOptions,
  startSqsEventSource,
} from './sqs-event-source.js';
