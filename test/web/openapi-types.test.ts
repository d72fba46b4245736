import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  documentPath,
  dumpOpenApiDocument,
  extractRequestSchemas,
  generateTypes,
  requestSchemasPath,
  typesPath,
} from '../../web/tools/openapi-types/generate.ts';

const regenerate = 'The web console is out of date with the API: run `npm run generate:api` and commit web/src/api.';

describe('the console’s generated API contract', () => {
  it('matches the OpenAPI document the server serves now', async () => {
    const document = await dumpOpenApiDocument();
    expect(readFileSync(documentPath, 'utf8') === document, regenerate).toBe(true);
    expect(readFileSync(requestSchemasPath, 'utf8') === extractRequestSchemas(document), regenerate).toBe(true);
    expect(readFileSync(typesPath, 'utf8') === (await generateTypes(document)), regenerate).toBe(true);
  }, 120_000);
});
