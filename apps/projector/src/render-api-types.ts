import type { JsonSchema } from './query-api-schemas';

/** Where the dashboard's API types are written, and what they are generated from (named in the file's header). */
export const API_TYPES_FILE = 'apps/web/src/lib/types.ts';
export const API_TYPES_SOURCE = 'the OpenAPI document of the query API (apps/projector/src/query-api-schemas.ts, the controllers\' ApiDoc)';

/**
 * TypeScript declarations of the component schemas of an OpenAPI 3.1 document: what the dashboard imports
 * (apps/web/src/lib/types.ts, written by `npm run gen:api-types`). Covers the JSON Schema the query API uses:
 * $ref, type (with null), enum, const, arrays, objects (required, additionalProperties), anyOf/oneOf, and
 * allOf of a $ref and an object (an interface that extends). A string beside string literals in an anyOf is an
 * open set of names: `'a' | 'b' | (string & {})`.
 */
export function renderApiTypes(document: JsonSchema, source: string): string {
  const schemas = ((document.components as JsonSchema | undefined)?.schemas ?? {}) as Record<string, JsonSchema>;
  const out = [
    `// Generated from ${source} by \`npm run gen:api-types\`: do not edit. A test fails while this file is stale.`,
    '/** The shapes of the query API (GET /api/openapi.json) and of the live socket. */',
    '',
  ];
  for (const [name, schema] of Object.entries(schemas)) {
    out.push(...docComment(schema.description, ''));
    const all = schema.allOf as JsonSchema[] | undefined;
    if (all && all.length === 2 && all[0]!.$ref && all[1]!.type === 'object') {
      out.push(`export interface ${name} extends ${refName(all[0]!.$ref as string)} ${objectBody(all[1]!, '')}`, '');
    } else if (schema.type === 'object' && schema.properties) {
      out.push(`export interface ${name} ${objectBody(schema, '')}`, '');
    } else {
      const type = typeOf(schema, '');
      // a long union of shapes reads best one member a line
      const members = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
      if (type.length > 120 && members) out.push(`export type ${name} =\n${members.map((m) => `  | ${typeOf(m, '')}`).join('\n')};`, '');
      else out.push(`export type ${name} = ${type};`, '');
    }
  }
  return out.join('\n');
}

function refName(ref: string): string {
  const name = ref.replace('#/components/schemas/', '');
  if (name === ref) throw new Error(`unsupported $ref ${ref}`);
  return name;
}

function docComment(text: unknown, indent: string): string[] {
  return typeof text === 'string' && text ? [`${indent}/** ${text} */`] : [];
}

const literal = (v: unknown) => (typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(v));
const KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function objectBody(schema: JsonSchema, indent: string): string {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const inner = indent + '  ';
  const lines: string[] = [];
  for (const [key, prop] of Object.entries(props)) {
    lines.push(...docComment(prop.description, inner));
    lines.push(`${inner}${KEY.test(key) ? key : literal(key)}${required.has(key) ? '' : '?'}: ${typeOf(prop, inner)};`);
  }
  const extra = schema.additionalProperties;
  if (extra !== undefined && extra !== false) lines.push(`${inner}[key: string]: ${extra === true ? 'unknown' : typeOf(extra as JsonSchema, inner)};`);
  return lines.length ? `{\n${lines.join('\n')}\n${indent}}` : '{}';
}

/** Inline objects are written on one line (as small shapes read best), named ones as interfaces. */
function inlineObject(schema: JsonSchema): string {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const parts = Object.entries(props).map(([key, prop]) => `${KEY.test(key) ? key : literal(key)}${required.has(key) ? '' : '?'}: ${typeOf(prop, '')}`);
  const extra = schema.additionalProperties;
  if (extra !== undefined && extra !== false) parts.push(`[key: string]: ${extra === true ? 'unknown' : typeOf(extra as JsonSchema, '')}`);
  return parts.length ? `{ ${parts.join('; ')} }` : 'Record<string, never>';
}

function union(members: string[]): string {
  return members.join(' | ');
}

function typeOf(schema: JsonSchema, indent: string): string {
  if (schema.$ref) return refName(schema.$ref as string);
  if ('const' in schema) return literal(schema.const);
  if (schema.enum) return union((schema.enum as unknown[]).map(literal));
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (alternatives) {
    const hasLiterals = alternatives.some((a) => a.enum || 'const' in a);
    return union(alternatives.map((a) => (hasLiterals && a.type === 'string' && !a.enum && !('const' in a) ? '(string & {})' : typeOf(a, indent))));
  }
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      const item = typeOf((schema.items ?? {}) as JsonSchema, indent);
      return /[ |&]/.test(item) && !item.startsWith('{') ? `(${item})[]` : `${item}[]`;
    }
    case 'object':
      if (!schema.properties && schema.additionalProperties !== undefined) {
        const extra = schema.additionalProperties;
        return `Record<string, ${extra === true || (typeof extra === 'object' && Object.keys(extra as object).length === 0) ? 'unknown' : typeOf(extra as JsonSchema, indent)}>`;
      }
      return inlineObject(schema);
    case undefined:
      return 'unknown';
    default:
      throw new Error(`unsupported schema type ${JSON.stringify(schema.type)}`);
  }
}
