/**
 * zod request schema → API Gateway model schema. API Gateway validates request bodies against JSON Schema
 * draft 4 and rejects or mis-handles keys it does not know (`$id`, `example`), so the zod output is:
 * generated for draft 4 on the input side, internal `$ref`s inlined (API Gateway resolves refs to other
 * *models*, not to `definitions`), reduced to the draft-4 keywords CDK's `JsonSchema` type knows, and tagged
 * with `JsonSchemaVersion.DRAFT4`. Refinements zod cannot express (superRefine) stay in the Lambda, which
 * re-validates every body; the gateway check is a first, cheaper gate.
 */
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as z from 'zod';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Draft-4 keywords kept; everything else (`$schema`, `$id`, `id`, `example`, `examples`, ...) is dropped. */
const keywords = new Set<string>([
  'type',
  'title',
  'description',
  'enum',
  'default',
  'format',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'items',
  'additionalItems',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxProperties',
  'minProperties',
  'required',
  'properties',
  'additionalProperties',
  'patternProperties',
  'dependencies',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
]);
/** Keywords whose value is data, not a schema. */
const literals = new Set(['enum', 'default']);
/** Keywords whose value is a map of user-chosen names → schemas (the names are not keywords). */
const schemaMaps = new Set(['properties', 'patternProperties', 'dependencies']);

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveRef(ref: string, root: JsonObject): JsonObject {
  const match = /^#\/(definitions|\$defs)\/(.+)$/.exec(ref);
  const table = match ? root[match[1] as string] : undefined;
  const target = match && isObject(table) ? table[decodeURIComponent(match[2] as string)] : undefined;
  if (!isObject(target)) throw new Error(`API Gateway model: cannot inline $ref ${ref}`);
  return target;
}

function clean(node: Json, root: JsonObject, seen: readonly string[]): Json {
  if (Array.isArray(node)) return node.map((item) => clean(item, root, seen));
  if (!isObject(node)) return node;
  const ref = node.$ref;
  if (typeof ref === 'string') {
    if (seen.includes(ref))
      throw new Error(`API Gateway model: recursive schema through ${ref} cannot be inlined`);
    const { $ref: _ignored, ...siblings } = node;
    return clean({ ...resolveRef(ref, root), ...siblings }, root, [...seen, ref]);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (!keywords.has(key)) continue;
    if (literals.has(key)) {
      out[key] = value;
    } else if (schemaMaps.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, schema]) => [name, clean(schema, root, seen)]),
      );
    } else {
      out[key] = clean(value, root, seen);
    }
  }
  return out;
}

/** The draft-4 JSON Schema of a zod request schema, as an API Gateway model accepts it. */
export function toApiGatewaySchema(schema: z.ZodType): apigw.JsonSchema {
  const generated = z.toJSONSchema(schema, {
    target: 'draft-04',
    io: 'input',
    unrepresentable: 'throw',
  }) as JsonObject;
  const body = clean(generated, generated, []);
  if (!isObject(body)) throw new Error('API Gateway model: schema did not produce an object');
  // Same keyword names and JSON shapes as apigw.JsonSchema (whose `type` is a string enum of these values).
  return { schema: apigw.JsonSchemaVersion.DRAFT4, ...(body as object) } as apigw.JsonSchema;
}
