import { type Cents, formatCents, MAX_AMOUNT_CENTS, parseCents } from '../money.js';
import type { Identifier, Money, Reference } from './datatypes.js';
import { type FhirIssue, issue } from './outcome.js';

/**
 * How the FHIR edge finds the hub's ids in a resource (docs/fhir.md#identifiers), and reads FHIR money.
 */

/**
 * A resource's own business id: the identifier in the hub's system if the sender used it, else the one marked
 * `official`, else the first with a value (the sender's id, unique per sender like every partner id).
 */
export function ownIdentifier(
  identifiers: readonly Identifier[] | undefined,
  hubSystem: string,
): { value: string; index: number } | undefined {
  const list = identifiers ?? [];
  const pick = (predicate: (i: Identifier) => boolean) => {
    const index = list.findIndex((i) => i.value !== undefined && predicate(i));
    const value = list[index]?.value;
    return value === undefined ? undefined : { value, index };
  };
  return pick((i) => i.system === hubSystem) ?? pick((i) => i.use === 'official') ?? pick(() => true);
}

/** Bundle-local ids: a reference to another entry's `fullUrl` resolves to that entry's business id. */
export type LocalIds = ReadonlyMap<string, { type: string; id: string }>;

/**
 * The id a Reference names, in this order: another entry of the same Bundle (by fullUrl), its `identifier`
 * (any system: payers echo the provider's claim number in whatever system the provider sent it), then a
 * literal `Type/id` or `[base]/Type/id[/_history/v]` reference. Anything else (a URL that is not a RESTful
 * address of that type) names nothing the hub can resolve.
 */
export function referencedId(
  reference: Reference | undefined,
  type: string,
  local: LocalIds = new Map(),
): string | undefined {
  if (reference === undefined) return undefined;
  const entry = reference.reference === undefined ? undefined : local.get(reference.reference);
  if (entry !== undefined) return entry.type === type ? entry.id : undefined;
  if (reference.identifier?.value !== undefined) return reference.identifier.value;
  const literal = new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/]+)?$`).exec(
    reference.reference ?? '',
  );
  return literal?.[1];
}

/** Does this Reference point at a resource of `type` (by `type`, a literal reference or an identifier system)? */
export function refersTo(
  reference: Reference | undefined,
  type: string,
  hubSystem?: string,
  local: LocalIds = new Map(),
): boolean {
  if (reference === undefined) return false;
  const entry = reference.reference === undefined ? undefined : local.get(reference.reference);
  if (entry !== undefined) return entry.type === type;
  if (reference.type === type) return true;
  if (new RegExp(`(?:^|/)${type}/[^/]+`).test(reference.reference ?? '')) return true;
  return hubSystem !== undefined && reference.identifier?.system === hubSystem;
}

/**
 * FHIR Money → integer cents, exactly: JSON numbers are read as the shortest decimal string that round-trips
 * (String(135.57) === "135.57"), so no float arithmetic touches the amount. The hub books USD only and at most
 * two decimals; a Money without currency is refused rather than assumed.
 */
export function moneyCents(money: Money | undefined, path: string): Cents | FhirIssue {
  if (money?.value === undefined)
    return issue('error', 'required', 'the amount (Money.value) is missing', `${path}.value`);
  if (money.currency === undefined)
    return issue(
      'error',
      'required',
      'the currency (Money.currency) is missing; the hub books USD',
      `${path}.currency`,
    );
  if (money.currency !== 'USD')
    return issue(
      'error',
      'not-supported',
      `currency ${money.currency} is not booked; the hub books USD only`,
      `${path}.currency`,
    );
  const text = String(money.value);
  if (!/^-?\d+(\.\d{1,2})?$/.test(text))
    return issue('error', 'value', `${text} is not an amount with at most two decimals`, `${path}.value`);
  if (!/^-?\d{1,13}(\.|$)/.test(text))
    return issue(
      'error',
      'value',
      `${text} exceeds the largest amount the hub books (${formatCents(MAX_AMOUNT_CENTS)})`,
      `${path}.value`,
    );
  const cents = parseCents(text);
  return cents;
}

export const isIssue = (value: unknown): value is FhirIssue =>
  typeof value === 'object' && value !== null && 'severity' in value && 'diagnostics' in value;

/** The calendar date of a FHIR date/dateTime (`2014-08-16T10:00:00Z` → `2014-08-16`); partial dates have none. */
export function calendarDate(value: string | undefined): string | undefined {
  return value !== undefined && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : undefined;
}
