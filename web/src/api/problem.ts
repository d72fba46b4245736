// RFC 9457 problem details as the Coffer API sends them, and how the console shows them:
// next to the form field they concern when it can tell which, as one readable line otherwise.

/** One problem+json body (the server's `src/server/problem.ts` shape, extensions included). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId?: string;
  /** Schema violations: `path` is `body/field/…`, `querystring/field` or `params/field`. */
  errors?: { path: string; message: string }[];
  /** Some domain errors name the one field they concern. */
  field?: string;
  /** Tenancy refusals say why in a stable word (e.g. `cycle`, `depth_limit`). */
  reason?: string;
  [extension: string]: unknown;
}

const problemPrefix = 'urn:coffer:problem:';

/** An API call that answered with an error status; `code` is the problem type's last part. */
export class ApiError extends Error {
  readonly problem: Problem;
  readonly status: number;
  readonly code: string;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.type.startsWith(problemPrefix) ? problem.type.slice(problemPrefix.length) : problem.type;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads an error body; anything that is not problem+json (a proxy's HTML page) becomes one. */
export function toProblem(status: number, body: unknown): Problem {
  if (isRecord(body) && typeof body.type === 'string' && typeof body.detail === 'string') {
    const errors = Array.isArray(body.errors)
      ? body.errors
          .filter(isRecord)
          .map((e) => ({ path: String(e.path ?? ''), message: String(e.message ?? 'is invalid') }))
      : undefined;
    return {
      ...body,
      type: body.type,
      title: typeof body.title === 'string' ? body.title : 'Error',
      status: typeof body.status === 'number' ? body.status : status,
      detail: body.detail,
      ...(errors ? { errors } : {}),
    } as Problem;
  }
  const detail =
    status === 0
      ? 'The server cannot be reached. Check the connection and try again.'
      : `The server answered ${status} without details.`;
  return {
    type: `${problemPrefix}${status >= 500 || status === 0 ? 'internal_error' : 'http_error'}`,
    title: 'Error',
    status,
    detail,
  };
}

/**
 * Turns a validator message into words for people: patterns and formats are described
 * rather than shown as regular expressions.
 */
export function humanizeMessage(message: string): string {
  const text = message.trim();
  const fewer = /^must NOT have fewer than (\d+) characters?$/.exec(text);
  if (fewer) return fewer[1] === '1' ? 'is required' : `must be at least ${fewer[1]} characters`;
  const more = /^must NOT have more than (\d+) characters?$/.exec(text);
  if (more) return `must be at most ${more[1]} characters`;
  const fewerItems = /^must NOT have fewer than (\d+) items?$/.exec(text);
  if (fewerItems) return `needs at least ${fewerItems[1]} ${fewerItems[1] === '1' ? 'entry' : 'entries'}`;
  const format = /^must match format "([^"]+)"$/.exec(text);
  if (format) return `must be ${formatNames[format[1] ?? ''] ?? `a valid ${format[1]}`}`;
  if (/^must match pattern /.test(text)) return 'contains characters or a form that is not allowed';
  if (/^must be equal to one of the allowed values$/.test(text)) return 'must be one of the offered choices';
  const bound = /^must be (>=|<=|>|<) (-?\d+(?:\.\d+)?)$/.exec(text);
  if (bound) {
    const words: Record<string, string> = { '>=': 'at least', '<=': 'at most', '>': 'more than', '<': 'less than' };
    return `must be ${words[bound[1] ?? ''] ?? bound[1]} ${bound[2]}`;
  }
  if (/^must NOT have additional properties/.test(text)) return `is not accepted here${text.slice(40)}`;
  return text;
}

const formatNames: Record<string, string> = {
  email: 'an email address',
  'date-time': 'a date and time',
  date: 'a date',
  uri: 'a URL',
  uuid: 'an identifier',
};

/** `body/subscriber/email` → `subscriber.email` (Mantine form paths); other parts keep their last name. */
export function fieldPathOf(errorPath: string): string {
  const parts = errorPath.split('/').filter((p) => p !== '');
  const [location, ...rest] = parts;
  if (location === 'body') return rest.join('.');
  if (location === 'querystring' || location === 'params' || location === 'headers') return rest.join('.');
  return parts.join('.');
}

/** The error messages a form shows: per field (by the form's own field names) and the rest as one line. */
export interface FormProblem {
  fields: Record<string, string>;
  general: string | null;
}

/**
 * Places a problem's messages on the form's fields. A path that names a field (or a part
 * inside one, e.g. `privileges.3`) goes to that field; `must have required property 'x'`
 * goes to `x`; a domain problem's `field` extension (password_policy, a taken code or email,
 * privilege_escalation) names its field; `codeFields` puts whole problem codes that name
 * none on a field (e.g. `invalid_credentials` → `currentPassword`). Whatever has no field
 * is returned as `general`.
 */
export function formProblem(
  problem: Problem,
  fields: readonly string[],
  codeFields: Readonly<Record<string, string>> = {},
): FormProblem {
  const known = new Set(fields);
  const result: Record<string, string> = {};
  const unplaced: string[] = [];
  const place = (field: string, message: string): boolean => {
    let candidate = field;
    while (candidate !== '' && !known.has(candidate)) {
      const dot = candidate.lastIndexOf('.');
      candidate = dot < 0 ? '' : candidate.slice(0, dot);
    }
    if (candidate === '') return false;
    result[candidate] = result[candidate] ? `${result[candidate]}; ${message}` : message;
    return true;
  };
  for (const error of problem.errors ?? []) {
    const path = fieldPathOf(error.path);
    const missing = /^must have required property '([^']+)'$/.exec(error.message);
    const message = humanizeMessage(error.message);
    if (missing?.[1]) {
      const field = path === '' ? missing[1] : `${path}.${missing[1]}`;
      if (place(field, 'is required')) continue;
    } else if (place(path, message)) continue;
    unplaced.push(path === '' ? message : `${path} ${message}`);
  }
  const code = problem.type.startsWith(problemPrefix) ? problem.type.slice(problemPrefix.length) : problem.type;
  const codeField = codeFields[code];
  const namedField = typeof problem.field === 'string' ? problem.field : undefined;
  if (!problem.errors?.length) {
    // The server's own word on the field comes first; codeFields cover problems that name none.
    if (namedField && place(namedField, problem.detail)) return { fields: result, general: null };
    if (codeField && place(codeField, problem.detail)) return { fields: result, general: null };
    return { fields: result, general: problem.detail };
  }
  return { fields: result, general: unplaced.length > 0 ? unplaced.join('; ') : null };
}

/** One line for a notification or an alert: the detail, with the request id for support. */
export function problemText(problem: Problem): string {
  return problem.requestId ? `${problem.detail} (request ${problem.requestId})` : problem.detail;
}
