import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Checks a real answer against the OpenAPI document the server publishes, as a client generated from it would
 * read it: the status must be documented with a JSON schema, and the body must fit it (Ajv: types, integers,
 * enums, required properties, nullability, uuid and date-time formats), with no property the schema does not
 * name unless it allows others.
 */
export interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  [keyword: string]: unknown;
}

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

// ajv-formats is CommonJS: the default import is its module.exports, whose `default` is the plugin.
const addFormats = addFormatsModule.default;

const DOC_ID = 'openapi';

/**
 * The document's schemas as JSON Schema for Ajv: references point into the document added under DOC_ID, a
 * nullable schema becomes "null or it" (@nestjs/swagger writes a nullable DTO as `{type: 'object', nullable:
 * true, allOf: [$ref]}`, which generated clients read as nullable, though JSON Schema would hold null to the
 * allOf), except a nullable enum, which takes null only when its list names it (as OpenAPI 3.0.3 has it, and
 * strict generated clients decode it), and an object schema that names its properties allows no others (a
 * client drops or refuses them).
 */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string') out.$ref = value.replace(/^#/, `${DOC_ID}#`);
    else if (key === 'properties' && value && typeof value === 'object')
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, s]) => [name, toJsonSchema(s) as Schema]),
      );
    else out[key] = toJsonSchema(value);
  }
  if (out.properties && out.additionalProperties === undefined && !out.allOf)
    out.additionalProperties = false;
  if (out.nullable) {
    delete out.nullable;
    if (Array.isArray(out.enum) && typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
    return { anyOf: [{ type: 'null' }, out] };
  }
  return out;
}

const validators = new WeakMap<OpenApiDocument, { ajv: Ajv; compiled: Map<Schema, ValidateFunction> }>();

function validatorFor(doc: OpenApiDocument, schema: Schema): ValidateFunction {
  let entry = validators.get(doc);
  if (!entry) {
    // strict off: the document carries OpenAPI's own keywords (example, description, ...) beside JSON Schema's.
    const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
    addFormats(ajv, ['uuid', 'date-time']);
    ajv.addSchema({ $id: DOC_ID, components: toJsonSchema(doc.components) }, DOC_ID);
    entry = { ajv, compiled: new Map() };
    validators.set(doc, entry);
  }
  let validate = entry.compiled.get(schema);
  if (!validate) {
    validate = entry.ajv.compile(toJsonSchema(schema) as object);
    entry.compiled.set(schema, validate);
  }
  return validate;
}

/** What a client generated from `doc` would find wrong with this answer of `method path` (empty: none). */
export function answerProblems(
  doc: OpenApiDocument,
  method: string,
  path: string,
  status: number,
  body: unknown,
): string[] {
  const op = doc.paths[path]?.[method.toLowerCase()];
  if (!op) return [`${method} ${path}: not in the document`];
  const answer = op.responses[String(status)];
  if (!answer)
    return [
      `${method} ${path}: status ${status} is not documented (${Object.keys(op.responses).join(', ')})`,
    ];
  const schema = answer.content?.['application/json']?.schema;
  if (!schema) return [`${method} ${path} ${status}: documented without a JSON schema`];
  const validate = validatorFor(doc, schema);
  if (validate(body)) return [];
  return (validate.errors ?? []).map(
    (e) =>
      `${method} ${path} ${status} $${e.instancePath.replace(/\//g, '.')}: ${e.message ?? e.keyword}` +
      (e.keyword === 'additionalProperties'
        ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
        : ''),
  );
}

const COMPOSITIONS = ['allOf', 'anyOf', 'oneOf'] as const;

/**
 * Where a schema leaves a client without a type, under `at`: a schema with no type (nor $ref, composition or
 * enum), an object that names no properties and does not say what its values are, an array without items.
 * A free-form object must say so (additionalProperties: true or a schema). $refs are followed once each.
 */
function untypedParts(doc: OpenApiDocument, schema: Schema, at: string, seen: Set<string>): string[] {
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    if (seen.has(name)) return [];
    seen.add(name);
    const target = doc.components.schemas[name];
    return target
      ? untypedParts(doc, target, `${at}->${name}`, seen)
      : [`${at}: ${schema.$ref} is not in the document`];
  }
  const out: string[] = [];
  const composed = COMPOSITIONS.some((k) => schema[k]);
  for (const k of COMPOSITIONS)
    for (const part of schema[k] ?? []) out.push(...untypedParts(doc, part, at, seen));
  for (const [name, property] of Object.entries(schema.properties ?? {}))
    out.push(...untypedParts(doc, property, `${at}.${name}`, seen));
  if (typeof schema.additionalProperties === 'object')
    out.push(...untypedParts(doc, schema.additionalProperties, `${at}{}`, seen));
  if (schema.items) out.push(...untypedParts(doc, schema.items, `${at}[]`, seen));
  else if (schema.type === 'array') out.push(`${at}: an array without items`);
  if (!schema.type && !composed && schema.enum === undefined) out.push(`${at}: no type`);
  if (
    schema.type === 'object' &&
    !composed &&
    !schema.properties &&
    schema.additionalProperties === undefined
  )
    out.push(`${at}: an object without properties`);
  return out;
}

/**
 * Every success the document leaves untyped, by route: an operation without a 2xx answer, a 2xx without a JSON
 * schema, and any untyped part of a 2xx schema (see untypedParts). A client generated from such a document reads
 * those answers as `unknown`.
 */
export function untypedSuccesses(doc: OpenApiDocument): string[] {
  const out: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops)) {
      const name = `${method.toUpperCase()} ${path}`;
      const successes = Object.entries(op.responses).filter(([status]) => /^2/.test(status));
      if (successes.length === 0) out.push(`${name}: no success answer`);
      for (const [status, answer] of successes) {
        const schema = answer.content?.['application/json']?.schema;
        if (!schema) out.push(`${name} ${status}: no JSON schema`);
        else out.push(...untypedParts(doc, schema, `${name} ${status} $`, new Set()));
      }
    }
  return out;
}

/**
 * Whether the schema of this success would also take it with a field it does not name (on `data`, on its first
 * item when it is a list, or on the body itself when there is no envelope): a closed schema must refuse it, so
 * that a field a route adds without documenting it fails the contract test.
 */
export function takesUndocumentedField(
  doc: OpenApiDocument,
  method: string,
  path: string,
  status: number,
  body: unknown,
): string[] {
  const copy = structuredClone(body) as Record<string, unknown>;
  const enveloped = copy !== null && typeof copy === 'object' && 'data' in copy;
  const data = enveloped ? copy.data : copy;
  const target = Array.isArray(data) ? data[0] : data;
  if (target === null || typeof target !== 'object') return [];
  (target as Record<string, unknown>).undocumented_field = true;
  return answerProblems(doc, method, path, status, copy).length > 0
    ? []
    : [`${method} ${path} ${status}: the schema takes a field it does not name`];
}

/** Each schema of the document with where it sits: `Schema.property[]`, `GET /path ?param`, `POST /path body`. */
function* schemasIn(doc: OpenApiDocument): Generator<[string, Schema]> {
  function* walk(schema: Schema | undefined, at: string): Generator<[string, Schema]> {
    if (!schema || typeof schema !== 'object') return;
    yield [at, schema];
    for (const [name, property] of Object.entries(schema.properties ?? {}))
      yield* walk(property, `${at}.${name}`);
    if (typeof schema.additionalProperties === 'object') yield* walk(schema.additionalProperties, `${at}{}`);
    if (schema.items) yield* walk(schema.items, `${at}[]`);
    for (const k of COMPOSITIONS) for (const part of schema[k] ?? []) yield* walk(part, at);
  }
  for (const [name, schema] of Object.entries(doc.components.schemas)) yield* walk(schema, name);
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops)) {
      const name = `${method.toUpperCase()} ${path}`;
      const { parameters, requestBody } = op as Operation & {
        parameters?: { name: string; schema?: Schema }[];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
      };
      for (const p of parameters ?? []) yield* walk(p.schema, `${name} ?${p.name}`);
      for (const c of Object.values(requestBody?.content ?? {})) yield* walk(c.schema, `${name} body`);
      for (const [status, answer] of Object.entries(op.responses))
        for (const c of Object.values(answer.content ?? {})) yield* walk(c.schema, `${name} ${status}`);
    }
}

/** Where the document types a value `number` rather than `integer` (a generated client makes it a float). */
export function numberFields(doc: OpenApiDocument): string[] {
  return [...schemasIn(doc)].filter(([, s]) => s.type === 'number').map(([at]) => at);
}

/** Nullable enums whose list does not name null: a strict OpenAPI 3.0 client cannot decode their null. */
export function nullableEnumsWithoutNull(doc: OpenApiDocument): string[] {
  return [...schemasIn(doc)]
    .filter(([, s]) => s.nullable === true && Array.isArray(s.enum) && !s.enum.includes(null))
    .map(([at]) => at);
}
