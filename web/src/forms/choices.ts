import type { JsonSchema } from './schema-rules.ts';

/**
 * The allowed values of a field as the OpenAPI schema states them (`enum`). Some API
 * fields do not list theirs yet (docs/web-console.md, API gaps): `known` stands in until they do.
 */
export function choicesOf(schema: JsonSchema, field: string, known: readonly string[] = []): string[] {
  let current: JsonSchema | undefined = schema;
  for (const part of field.split('.')) {
    current = current?.properties?.[part] ?? (current?.items?.properties?.[part] as JsonSchema | undefined);
  }
  const values = current?.enum ?? current?.items?.enum;
  return values ? values.map(String) : [...known];
}
