/**
 * Checks a real answer against the OpenAPI document the server publishes, as a client generated from it would
 * read it: the status must be documented with a JSON schema, and the body must fit it (types, integers, enums,
 * required properties, nullability, formats of uuids and date-times, and no property the schema does not name
 * unless it allows others). Covers the subset of OpenAPI 3.0 that @nestjs/swagger emits.
 */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function resolve(doc: OpenApiDocument, schema: Schema): Schema {
  let s = schema;
  while (s.$ref) s = doc.components.schemas[s.$ref.split('/').pop()!] ?? {};
  return s;
}

function fits(doc: OpenApiDocument, raw: Schema, value: unknown, at: string, problems: string[]): void {
  const s = resolve(doc, raw);
  // @nestjs/swagger puts `nullable` beside the allOf of a nullable $ref; generated clients read it that way.
  if (value === null) {
    if (!s.nullable) problems.push(`${at}: null, but the schema is not nullable`);
    return;
  }
  for (const part of s.allOf ?? []) fits(doc, part, value, at, problems);
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives) {
    const matched = alternatives.some((alt) => {
      const own: string[] = [];
      fits(doc, alt, value, at, own);
      return own.length === 0;
    });
    if (!matched) problems.push(`${at}: fits none of its alternatives`);
  }
  const type = s.type;
  const actual = Array.isArray(value) ? 'array' : typeof value;
  if (type === 'integer' && !Number.isInteger(value))
    problems.push(`${at}: ${JSON.stringify(value)} is not an integer`);
  else if (type === 'number' && actual !== 'number') problems.push(`${at}: ${actual} is not a number`);
  else if (type && !['integer', 'number'].includes(type) && actual !== type) {
    problems.push(`${at}: ${actual} is not ${type === 'object' ? 'an object' : `a ${type}`}`);
    return;
  }
  if (s.enum && !s.enum.includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${s.enum.join(', ')}`);
  if (typeof value === 'string' && s.format === 'uuid' && !UUID.test(value))
    problems.push(`${at}: not a uuid`);
  if (typeof value === 'string' && s.format === 'date-time' && Number.isNaN(Date.parse(value)))
    problems.push(`${at}: not a date-time`);
  if (Array.isArray(value) && s.items)
    value.forEach((v, i) => fits(doc, s.items!, v, `${at}[${i}]`, problems));
  if (actual === 'object' && !Array.isArray(value) && (s.properties || type === 'object')) {
    const obj = value as Record<string, unknown>;
    for (const name of s.required ?? [])
      if (!(name in obj)) problems.push(`${at}.${name}: required, missing`);
    // Properties of an allOf part are documented too.
    const named = new Set([
      ...Object.keys(s.properties ?? {}),
      ...(s.allOf ?? []).flatMap((p) => Object.keys(resolve(doc, p).properties ?? {})),
    ]);
    for (const [name, v] of Object.entries(obj)) {
      const prop = s.properties?.[name];
      if (prop) fits(doc, prop, v, `${at}.${name}`, problems);
      else if (typeof s.additionalProperties === 'object')
        fits(doc, s.additionalProperties, v, `${at}.${name}`, problems);
      else if (!named.has(name) && s.additionalProperties !== true && (s.properties || s.allOf))
        problems.push(`${at}.${name}: not in the schema`);
    }
  }
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
  const problems: string[] = [];
  fits(doc, schema, body, `${method} ${path} ${status} $`, problems);
  return problems;
}
