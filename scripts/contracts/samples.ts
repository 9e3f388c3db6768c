import { routes } from '../../lambdas/wiring.js';
import { eventTypes } from './events.js';
import { readRepoJson } from './files.js';
import type { Samples } from './operations.js';

export function eventSamplePath(type: string): string {
  return `events/samples/${type}.json`;
}

/** One request body per route that takes one, named by its operationId. */
export function requestSamplePath(operationId: string): string {
  return `events/samples/requests/${operationId}.json`;
}

/** operationId → request sample path, for every route with a request body. */
export const REQUEST_SAMPLES: Readonly<Record<string, string>> = Object.fromEntries(
  routes.filter((r) => r.requestSchema).map((r) => [r.operationId, requestSamplePath(r.operationId)]),
);

/** The checked-in samples (events/samples), which the generated documents use as examples. */
export function loadSamples(): Samples {
  return {
    requests: Object.fromEntries(
      Object.entries(REQUEST_SAMPLES).map(([operationId, path]) => [operationId, readRepoJson(path)]),
    ),
    events: Object.fromEntries(
      eventTypes.map((type) => [type, readRepoJson(eventSamplePath(type))]),
    ) as Samples['events'],
  };
}
