import { ValidationError } from '../platform/index.ts';

/**
 * Placeholders a data-source naming rule may use. `{bu.code}` and `{bu.name}` come from
 * the unit that owns the data source; `{hostname}` and `{os}` from the enrolling machine.
 */
export const namingPlaceholders = ['bu.code', 'bu.name', 'hostname', 'os'] as const;
export type NamingPlaceholder = (typeof namingPlaceholders)[number];

export const MAX_TEMPLATE_LENGTH = 200;

type Part = { literal: string } | { placeholder: NamingPlaceholder };

/**
 * Splits a template such as `{bu.code}-{hostname}` into literals and placeholders. Returns
 * the problem as text (for the settings registry) or the parts.
 */
export function parseNamingTemplate(template: string): { parts: Part[] } | { problem: string } {
  if (template.length === 0 || template.length > MAX_TEMPLATE_LENGTH) {
    return { problem: `template must be 1-${MAX_TEMPLATE_LENGTH} characters` };
  }
  if (/\p{Cc}/u.test(template)) return { problem: 'template must not contain control characters' };
  const parts: Part[] = [];
  const pattern = /\{([^{}]*)\}|([^{}]+)|([{}])/g;
  for (const match of template.matchAll(pattern)) {
    if (match[3] !== undefined) return { problem: `unbalanced "${match[3]}" at position ${match.index}` };
    if (match[2] !== undefined) {
      parts.push({ literal: match[2] });
      continue;
    }
    const name = match[1] ?? '';
    if (!(namingPlaceholders as readonly string[]).includes(name)) {
      return {
        problem: `unknown placeholder {${name}}; known: ${namingPlaceholders.map((p) => `{${p}}`).join(', ')}`,
      };
    }
    parts.push({ placeholder: name as NamingPlaceholder });
  }
  if (!parts.some((p) => 'placeholder' in p)) return { problem: 'template must use at least one placeholder' };
  return { parts };
}

/**
 * Renders a naming rule. Throws ValidationError if the template is invalid or a placeholder
 * it uses has no value (e.g. `{bu.code}` for a unit without a code).
 */
export function renderNamingTemplate(
  template: string,
  values: Partial<Record<NamingPlaceholder, string | null>>,
): string {
  const parsed = parseNamingTemplate(template);
  if ('problem' in parsed) throw new ValidationError(`naming rule is invalid: ${parsed.problem}`);
  return parsed.parts
    .map((part) => {
      if ('literal' in part) return part.literal;
      const value = values[part.placeholder];
      if (value === undefined || value === null || value === '') {
        throw new ValidationError(`naming rule needs {${part.placeholder}}, which has no value here`, {
          placeholder: part.placeholder,
        });
      }
      return value;
    })
    .join('');
}
