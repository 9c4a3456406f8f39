// Writes the dashboard's API types (apps/web/src/lib/types.ts) from the query API's OpenAPI document, as the
// built server makes it (run `npm run build:server` first; `npm run gen:api-types` does both).
// apps/projector/src/render-api-types.spec.ts fails while the committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
require('reflect-metadata');
const { queryApiDocument } = require(join(root, 'dist/apps/projector/src/query-api.js'));
const { renderApiTypes, API_TYPES_SOURCE, API_TYPES_FILE } = require(join(root, 'dist/apps/projector/src/render-api-types.js'));
writeFileSync(join(root, API_TYPES_FILE), renderApiTypes(queryApiDocument(), API_TYPES_SOURCE));
console.log(`gen:api-types: wrote ${API_TYPES_FILE}`);
