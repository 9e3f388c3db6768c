import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  DELIVERY_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
} from '../../core/webhooks/signature.js';
import { guardedLookup, literalTargetProblem, type TargetPolicy, targetPolicy } from './target-guard.js';

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
 * the answer body is read and dropped (bounded by the timeout), never logged. The socket connects only to an
 * address the target guard checked at this very delivery (issue #15: no private, loopback or metadata
 * address, even if the host's DNS changed since the subscription was created).
 */
export async function sendSigned(
  url: string,
  secret: string,
  body: string,
  meta: { eventId: string; eventType: string },
  policy: TargetPolicy = targetPolicy(),
): Promise<SendResult> {
  const started = Date.now();
  const timestamp = Math.floor(started / 1000);
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const literal = literalTargetProblem(target, policy);
  if (literal) return { ok: false, latencyMs: 0, error: `target refused: host ${literal}` };
  try {
    const statusCode = await new Promise<number>((resolve, reject) => {
      const outgoing = request(
        target,
        {
          method: 'POST',
          lookup: guardedLookup(target, policy) as never,
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
            'User-Agent': 'rcm-hub-webhooks/1',
            [SIGNATURE_HEADER]: signatureHeader([secret], timestamp, body),
            [DELIVERY_ID_HEADER]: meta.eventId,
            [EVENT_TYPE_HEADER]: meta.eventType,
          },
          signal: AbortSignal.timeout(TIMEOUT_MS),
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
    return { ok: statusCode >= 200 && statusCode < 300, statusCode, latencyMs: Date.now() - started };
  } catch (error) {
    const cause = error as Error;
    return {
      ok: false,
      latencyMs: Date.now() - started,
      error:
        cause.name === 'TimeoutError' || cause.name === 'AbortError'
          ? `timed out after ${TIMEOUT_MS} ms`
          : cause.message.slice(0, 200),
    };
  }
}
