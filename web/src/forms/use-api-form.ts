import { type UseFormReturnType, useForm } from '@mantine/form';
import { useState } from 'react';
import { ApiError, formProblem } from '../api/problem.ts';
import { bodySchema, type OperationKey } from '../api/types.ts';
import { checkFields, isRequiredField, type JsonSchema, maxLengthOf } from './schema-rules.ts';

export interface ApiFormOptions<Values extends Record<string, unknown>> {
  /** The operation whose request body schema the form's fields follow (`POST /api/v1/users`). */
  operation: OperationKey;
  initialValues: Values;
  /** Fields checked against the schema (default: every key of `initialValues`). */
  fields?: readonly string[];
  /** Further fields the server's problems may name, that the schema cannot check in their form shape. */
  problemFields?: readonly string[];
  /** Problem codes that concern one field, e.g. `{ password_policy: 'newPassword' }`. */
  codeFields?: Readonly<Record<string, string>>;
  /** Extra checks the schema cannot express (e.g. two password inputs agree). */
  extraChecks?: (values: Values) => Record<string, string | undefined>;
}

export interface ApiForm<Values extends Record<string, unknown>> {
  form: UseFormReturnType<Values>;
  schema: JsonSchema;
  /** A message that concerns no single field, shown above the buttons. */
  general: string | null;
  setGeneral(message: string | null): void;
  /** Puts an API error on the fields it concerns and the rest in `general`. */
  showProblem(error: unknown): void;
  /** Props for a text input bound to `field`: value, errors, the asterisk and length limit from the schema. */
  inputProps(field: string): ReturnType<UseFormReturnType<Values>['getInputProps']> & {
    withAsterisk: boolean;
    maxLength?: number;
  };
}

/**
 * A Mantine form whose checks come from the OpenAPI request schema and which shows the
 * server's problem+json next to the fields it names.
 */
export function useApiForm<Values extends Record<string, unknown>>(options: ApiFormOptions<Values>): ApiForm<Values> {
  const schema = bodySchema(options.operation);
  const fields = options.fields ?? Object.keys(options.initialValues);
  const [general, setGeneral] = useState<string | null>(null);
  const form = useForm<Values>({
    mode: 'controlled',
    initialValues: options.initialValues,
    validateInputOnBlur: true,
    validate: (values) => {
      const errors: Record<string, string> = checkFields(schema, values, fields);
      for (const [field, message] of Object.entries(options.extraChecks?.(values) ?? {})) {
        if (message) errors[field] = message;
      }
      return errors;
    },
  });
  function showProblem(error: unknown): void {
    if (error instanceof ApiError) {
      const placed = formProblem(error.problem, [...fields, ...(options.problemFields ?? [])], options.codeFields);
      form.setErrors(placed.fields);
      setGeneral(placed.general);
    } else {
      setGeneral(error instanceof Error ? error.message : String(error));
    }
  }
  function inputProps(field: string) {
    const maxLength = maxLengthOf(schema, field);
    return {
      ...form.getInputProps(field),
      withAsterisk: isRequiredField(schema, field),
      ...(maxLength !== undefined ? { maxLength } : {}),
    };
  }
  return { form, schema, general, setGeneral, showProblem, inputProps };
}
