import {
  businessId,
  claimOf,
  type KnownClaim,
  type Mapping,
  type MappingContext,
  mapResource,
} from './inbound.js';
import { type FhirIssue, isError, issue, schemaIssues } from './outcome.js';
import {
  ACCEPTED_TYPES,
  type AcceptedResource,
  type AcceptedType,
  Bundle,
  PROCESSED_BUNDLE_TYPES,
  resourceSchemas,
} from './resources.js';

/**
 * A POSTed FHIR document: one resource, or a Bundle of them. Bundle semantics (R4 http.html#transaction):
 *   transaction — all or nothing: one bad entry refuses the Bundle, nothing is accepted;
 *   batch       — each entry on its own: good entries are accepted, bad ones answered in their entry;
 *   collection  — no processing rules of its own in R4; the hub treats it like a transaction (all or nothing).
 */
export type ProcessedBundleType = (typeof PROCESSED_BUNDLE_TYPES)[number];

export interface DocumentEntry {
  index: number;
  /** FHIRPath of the resource: `ClaimResponse` or `Bundle.entry[2].resource`. */
  root: string;
  fullUrl?: string;
  resource?: AcceptedResource;
  issues: FhirIssue[];
}

export interface ParsedDocument {
  bundleType?: ProcessedBundleType;
  entries: DocumentEntry[];
  /** Issues with the document as a whole (not a Bundle the hub processes, wrong type for the route). */
  issues: FhirIssue[];
}

/** Financial resources the hub is sent but does not book, and what to send instead. */
export const NOT_BOOKED: Record<string, string> = {
  ExplanationOfBenefit:
    "an ExplanationOfBenefit is the payer's statement of benefits to the subscriber; the provider's remittance is the ClaimResponse (adjudication) and PaymentReconciliation (payment) — send those",
  PaymentNotice:
    'a PaymentNotice only announces that a payment was made (a status); it distributes nothing to claims — send the PaymentReconciliation it refers to',
};

function parseResource(json: unknown, root: string, allowed: readonly AcceptedType[]): DocumentEntry {
  const entry: DocumentEntry = { index: 0, root, issues: [] };
  const type = (json as { resourceType?: unknown } | null)?.resourceType;
  if (typeof type !== 'string') {
    entry.issues.push(issue('error', 'structure', 'not a FHIR resource: resourceType is missing', root));
    return entry;
  }
  if (!(allowed as readonly string[]).includes(type)) {
    entry.issues.push(
      issue(
        'error',
        'not-supported',
        NOT_BOOKED[type]
          ? `${type} is not booked by the hub: ${NOT_BOOKED[type]}`
          : `${type} is not booked here; this endpoint accepts ${allowed.join(', ')}${
              (ACCEPTED_TYPES as readonly string[]).includes(type)
                ? ''
                : ' (the hub books Claim, Invoice, ClaimResponse and PaymentReconciliation)'
            }`,
        `${root}.resourceType`,
      ),
    );
    return entry;
  }
  const schema = resourceSchemas[type as AcceptedType];
  const parsed = schema.safeParse(json);
  if (!parsed.success) entry.issues.push(...schemaIssues(parsed.error, root === type ? type : root));
  else entry.resource = parsed.data as AcceptedResource;
  return entry;
}

/** Reads a POSTed body for a route: `routeType` is the resource type of the URL, undefined for the base. */
export function parseDocument(json: unknown, routeType: AcceptedType | undefined): ParsedDocument {
  const allowed = routeType ? [routeType] : ACCEPTED_TYPES;
  const type = (json as { resourceType?: unknown } | null)?.resourceType;
  if (type !== 'Bundle') {
    if (routeType === undefined) {
      const why = typeof type === 'string' ? NOT_BOOKED[type] : undefined;
      return {
        entries: [],
        issues: [
          why
            ? issue('error', 'not-supported', `${type} is not booked by the hub: ${why}`, `${type}`)
            : issue(
                'error',
                'not-supported',
                'POST a Bundle (transaction, batch or collection) to the base; single resources go to /fhir/r4/{type}',
                'Bundle',
              ),
        ],
      };
    }
    return { entries: [{ ...parseResource(json, routeType, allowed), root: routeType }], issues: [] };
  }
  const bundle = Bundle.safeParse(json);
  if (!bundle.success) return { entries: [], issues: schemaIssues(bundle.error, 'Bundle') };
  const bundleType = bundle.data.type;
  if (!isProcessed(bundleType))
    return {
      entries: [],
      issues: [
        issue(
          'error',
          'not-supported',
          `a ${bundleType} Bundle is not processed; send a transaction, batch or collection`,
          'Bundle.type',
        ),
      ],
    };
  const entries = (bundle.data.entry ?? []).map((raw, index) => {
    const root = `Bundle.entry[${index}].resource`;
    if (raw.resource === undefined)
      return {
        index,
        root,
        issues: [issue('error', 'required', 'the entry has no resource', root)],
      } as DocumentEntry;
    const entry = {
      ...parseResource(raw.resource, root, allowed),
      index,
      ...(raw.fullUrl ? { fullUrl: raw.fullUrl } : {}),
    };
    if (bundleType !== 'collection') {
      // bdl-3: entry.request is mandatory for batch and transaction; the hub only creates.
      const request = raw.request;
      const where = `Bundle.entry[${index}].request`;
      if (!request)
        entry.issues.push(
          issue('error', 'required', 'a batch or transaction entry needs request (POST)', where),
        );
      else if (request.method !== 'POST')
        entry.issues.push(
          issue(
            'error',
            'not-supported',
            `${request.method} is not supported; the hub only accepts new documents (POST)`,
            `${where}.method`,
          ),
        );
      else if (entry.resource && request.url.split('?')[0] !== entry.resource.resourceType)
        entry.issues.push(
          issue(
            'error',
            'invalid',
            `request.url ${request.url} does not create a ${entry.resource.resourceType}`,
            `${where}.url`,
          ),
        );
    }
    return entry;
  });
  if (entries.length === 0)
    return {
      bundleType,
      entries,
      issues: [issue('error', 'required', 'the Bundle has no entries', 'Bundle.entry')],
    };
  return { bundleType, entries, issues: [] };
}

/** Bundle-local references: each entry's fullUrl names its resource's business id. */
export function localIds(document: ParsedDocument): Map<string, { type: string; id: string }> {
  const ids = new Map<string, { type: string; id: string }>();
  for (const entry of document.entries) {
    const id = entry.resource ? businessId(entry.resource) : undefined;
    if (entry.fullUrl && entry.resource && id !== undefined)
      ids.set(entry.fullUrl, { type: entry.resource.resourceType, id });
  }
  return ids;
}

/**
 * Maps every readable entry. Claims first, so a ClaimResponse in the same Bundle finds the Claim it answers;
 * two entries producing the same event (the same document twice) is a duplicate.
 */
export function mapDocument(document: ParsedDocument, ctx: MappingContext): Map<number, Mapping> {
  const claims = new Map<string, KnownClaim[]>([...ctx.claims].map(([id, found]) => [id, [...found]]));
  const local = ctx.local;
  const results = new Map<number, Mapping>();
  const order = [...document.entries].sort(
    (a, b) => rank(a.resource?.resourceType) - rank(b.resource?.resourceType) || a.index - b.index,
  );
  const seen = new Map<string, string>();
  for (const entry of order) {
    if (!entry.resource || entry.issues.some(isError)) {
      results.set(entry.index, { events: [], issues: entry.issues });
      continue;
    }
    const mapping = mapResource(entry.resource, entry.root, { ...ctx, claims, local });
    for (const event of mapping.events) {
      const first = seen.get(event.discriminator);
      if (first !== undefined) {
        mapping.issues.push(issue('error', 'duplicate', `the same document as ${first}`, entry.root));
        mapping.events = [];
        break;
      }
      seen.set(event.discriminator, entry.root);
    }
    for (const event of mapping.events) {
      const claim = claimOf(event);
      if (claim)
        claims.set(claim.claimId, [
          ...(claims.get(claim.claimId) ?? []).filter((c) => c.encounterId !== claim.encounterId),
          claim,
        ]);
    }
    results.set(entry.index, { events: mapping.events, issues: [...entry.issues, ...mapping.issues] });
  }
  return results;
}

function isProcessed(type: string): type is ProcessedBundleType {
  return (PROCESSED_BUNDLE_TYPES as readonly string[]).includes(type);
}

function rank(type: string | undefined): number {
  return type === 'Invoice' ? 0 : type === 'Claim' ? 1 : 2;
}
