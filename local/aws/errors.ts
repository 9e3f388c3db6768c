/**
 * A service error in the shape the AWS JSON protocols carry: `__type` + `message`, HTTP 400 by default.
 * For SQS (awsQueryCompatible) the server also sends `x-amzn-query-error: <queryCode>;Sender`, which the SDK
 * uses to map legacy query error codes (e.g. `AWS.SimpleQueueService.NonExistentQueue`) to modeled exceptions.
 */
export class AwsServiceError extends Error {
  readonly code: string;
  readonly status: number;
  readonly queryCode: string | undefined;
  readonly fault: 'Sender' | 'Receiver';

  constructor(
    code: string,
    message: string,
    opts: { status?: number; queryCode?: string; fault?: 'Sender' | 'Receiver' } = {},
  ) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = opts.status ?? 400;
    this.queryCode = opts.queryCode;
    this.fault = opts.fault ?? 'Sender';
  }
}

export const isAwsServiceError = (e: unknown): e is AwsServiceError => e instanceof AwsServiceError;
