import type { JsonSchema } from './schema-rules.ts';

/**
 * The allowed values of a field as the OpenAPI schema states them (`enum`, as text). `known`
 * stands in only for a field whose schema lists no values.
 */
export function choicesOf(schema: JsonSchema, field: string, known: readonly string[] = []): string[] {
  let current: JsonSchema | undefined = schema;
  for (const part of field.split('.')) {
    current = current?.properties?.[part] ?? (current?.items?.properties?.[part] as JsonSchema | undefined);
  }
  const values = current?.enum ?? current?.items?.enum;
  return values ? values.map(String) : [...known];
}
