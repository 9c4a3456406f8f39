import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryApiDocument } from './query-api';
import { API_TYPES_FILE, API_TYPES_SOURCE, renderApiTypes } from './render-api-types';

const root = join(__dirname, '..', '..', '..');

describe('the dashboard API types (apps/web/src/lib/types.ts), generated from the OpenAPI document', () => {
  it('are up to date: the committed file is what `npm run gen:api-types` writes now', () => {
    const committed = readFileSync(join(root, API_TYPES_FILE), 'utf8');
    const fresh = renderApiTypes(queryApiDocument(), API_TYPES_SOURCE);
    if (committed !== fresh) throw new Error(`${API_TYPES_FILE} is stale: run "npm run gen:api-types" and commit it`);
  });

  it('renders each schema construct the query API uses', () => {
    const doc = {
      components: {
        schemas: {
          Kind: { anyOf: [{ type: 'string', enum: ['a', 'b'] }, { type: 'string' }] },
          Base: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
          Thing: {
            allOf: [
              { $ref: '#/components/schemas/Base' },
              {
                type: 'object',
                description: 'ignored here',
                properties: {
                  kind: { $ref: '#/components/schemas/Kind' },
                  tags: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
                  note: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'A note.' },
                  attrs: { type: 'object', additionalProperties: {} },
                  shape: { type: 'object', properties: { x: { const: 'x' }, y: {} }, required: ['x'] },
                },
                required: ['kind', 'tags'],
              },
            ],
          },
        },
      },
    };
    expect(renderApiTypes(doc, 'test')).toContain(
      [
        "export type Kind = 'a' | 'b' | (string & {});",
        '',
        'export interface Base {',
        '  n: number;',
        '}',
        '',
        'export interface Thing extends Base {',
        '  kind: Kind;',
        '  tags: (string | null)[];',
        '  /** A note. */',
        '  note?: string | null;',
        '  attrs?: Record<string, unknown>;',
        "  shape?: { x: 'x'; y?: unknown };",
        '}',
      ].join('\n'),
    );
  });
});
