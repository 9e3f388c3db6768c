import {
  DELIVERY_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
} from '../../core/webhooks/signature.js';

export interface SendResult {
  ok: boolean;
  statusCode?: number;
  latencyMs: number;
  error?: string;
}

/** Same as EventBridge API destinations: an endpoint that takes longer than 5 s has failed this attempt. */
const TIMEOUT_MS = 5_000;

/**
 * POSTs one signed delivery. Redirects are not followed (a signed request must not be replayed elsewhere);
 * the answer body is read and dropped (bounded by the timeout), never logged.
 */
export async function sendSigned(
  url: string,
  secret: string,
  body: string,
  meta: { eventId: string; eventType: string },
  fetchImpl: typeof fetch = fetch,
): Promise<SendResult> {
  const started = Date.now();
  const timestamp = Math.floor(started / 1000);
  try {
    const response = await fetchImpl(url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'rcm-hub-webhooks/1',
        [SIGNATURE_HEADER]: signatureHeader([secret], timestamp, body),
        [DELIVERY_ID_HEADER]: meta.eventId,
        [EVENT_TYPE_HEADER]: meta.eventType,
      },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.arrayBuffer().catch(() => undefined);
    return {
      ok: response.status >= 200 && response.status < 300,
      statusCode: response.status,
      latencyMs: Date.now() - started,
    };
  } catch (error) {
    const cause = error as Error;
    return {
      ok: false,
      latencyMs: Date.now() - started,
      error: cause.name === 'TimeoutError' ? `timed out after ${TIMEOUT_MS} ms` : cause.message.slice(0, 200),
    };
  }
}
