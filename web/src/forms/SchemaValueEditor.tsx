import { Checkbox, Fieldset, NumberInput, Stack, Switch, Textarea, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { JsonSchema } from './schema-rules.ts';

interface EditorProps {
  schema: JsonSchema;
  value: unknown;
  onChange(value: unknown): void;
  label: string;
  /** Messages by dotted path ('' is the value itself), from checkDeep or the API. */
  errors: Record<string, string>;
  path?: string;
}

function kinds(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type ? [schema.type] : schema.properties ? ['object'] : [];
}

/** Words for a property name: `requireLowercase` → "Require lowercase". */
export function labelOf(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * An input for any value a JSON schema describes: a switch for booleans, number and text
 * inputs with the schema's limits, a group of inputs for objects, "none" for nullable
 * values, and JSON text for anything else. The settings screen builds its forms with it
 * from the definitions the API serves.
 */
export function SchemaValueEditor({ schema, value, onChange, label, errors, path = '' }: EditorProps) {
  const branches = schema.anyOf ?? schema.oneOf;
  const error = errors[path];
  if (branches) {
    const nullable = branches.some((branch) => kinds(branch).includes('null'));
    const others = branches.filter((branch) => !(kinds(branch).length === 1 && kinds(branch)[0] === 'null'));
    if (nullable && others.length === 1) {
      const inner = others[0]!;
      return (
        <Stack gap="xs">
          <Checkbox
            label={`No ${label.toLowerCase()}`}
            checked={value === null}
            onChange={(event) => onChange(event.currentTarget.checked ? null : initialFor(inner))}
          />
          {value === null ? null : (
            <SchemaValueEditor
              schema={inner}
              value={value}
              onChange={onChange}
              label={label}
              errors={errors}
              path={path}
            />
          )}
        </Stack>
      );
    }
    return <JsonEditor value={value} onChange={onChange} label={label} error={error} />;
  }
  const allowed = kinds(schema);
  if (allowed.includes('boolean')) {
    return (
      <Switch
        label={label}
        checked={value === true}
        onChange={(event) => onChange(event.currentTarget.checked)}
        error={error}
      />
    );
  }
  if (allowed.includes('integer') || allowed.includes('number')) {
    return (
      <NumberInput
        label={label}
        value={typeof value === 'number' ? value : ''}
        onChange={(next) => onChange(typeof next === 'number' ? next : next === '' ? undefined : Number(next))}
        min={schema.minimum}
        max={schema.maximum}
        allowDecimal={!allowed.includes('integer')}
        error={error}
      />
    );
  }
  if (allowed.includes('string') && !schema.enum) {
    return (
      <TextInput
        label={label}
        value={typeof value === 'string' ? value : ''}
        onChange={(event) => onChange(event.currentTarget.value)}
        maxLength={schema.maxLength}
        error={error}
      />
    );
  }
  if (allowed.includes('object') && schema.properties) {
    const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    return (
      <Fieldset legend={label}>
        <Stack gap="xs">
          {Object.entries(schema.properties).map(([name, property]) => (
            <SchemaValueEditor
              key={name}
              schema={property}
              value={record[name]}
              onChange={(next) => onChange({ ...record, [name]: next })}
              label={labelOf(name)}
              errors={errors}
              path={path ? `${path}.${name}` : name}
            />
          ))}
        </Stack>
      </Fieldset>
    );
  }
  return <JsonEditor value={value} onChange={onChange} label={label} error={error} />;
}

function JsonEditor({
  value,
  onChange,
  label,
  error,
}: {
  value: unknown;
  onChange(value: unknown): void;
  label: string;
  error: string | undefined;
}) {
  const [text, setText] = useState(() => JSON.stringify(value ?? null, null, 2));
  const [parseError, setParseError] = useState<string | null>(null);
  return (
    <Textarea
      label={`${label} (JSON)`}
      value={text}
      autosize
      minRows={3}
      ff="monospace"
      onChange={(event) => {
        const next = event.currentTarget.value;
        setText(next);
        try {
          onChange(JSON.parse(next));
          setParseError(null);
        } catch {
          setParseError('is not valid JSON');
        }
      }}
      error={parseError ?? error}
    />
  );
}

/** A starting value for a schema (its default, or an empty value of its type). */
export function initialFor(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return schema.default;
  const allowed = kinds(schema);
  if (allowed.includes('object')) {
    return Object.fromEntries(
      Object.entries(schema.properties ?? {}).map(([name, property]) => [name, initialFor(property)]),
    );
  }
  if (allowed.includes('boolean')) return false;
  if (allowed.includes('integer') || allowed.includes('number')) return schema.minimum ?? 0;
  if (allowed.includes('string')) return '';
  return null;
}
