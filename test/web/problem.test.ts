import { describe, expect, it } from 'vitest';
import {
  ApiError,
  fieldPathOf,
  formProblem,
  humanizeMessage,
  type Problem,
  toProblem,
} from '../../web/src/api/problem.ts';

const validation = (errors: { path: string; message: string }[]): Problem => ({
  type: 'urn:coffer:problem:validation_failed',
  title: 'Bad request',
  status: 400,
  detail: errors.map((e) => `${e.path} ${e.message}`).join('; '),
  errors,
});

describe('problem+json in forms', () => {
  it('puts schema errors on the fields their paths name', () => {
    const placed = formProblem(
      validation([
        { path: 'body/email', message: 'must match format "email"' },
        { path: 'body/displayName', message: 'must NOT have fewer than 1 characters' },
      ]),
      ['email', 'displayName', 'roleId'],
    );
    expect(placed).toEqual({
      fields: { email: 'must be an email address', displayName: 'is required' },
      general: null,
    });
  });

  it('reads missing required properties, nested paths and array entries', () => {
    const placed = formProblem(
      validation([
        { path: 'body', message: "must have required property 'roleId'" },
        { path: 'body/subscriber', message: "must have required property 'email'" },
        { path: 'body/privileges/3', message: 'must be equal to one of the allowed values' },
      ]),
      ['roleId', 'subscriber.email', 'privileges'],
    );
    expect(placed.fields).toEqual({
      roleId: 'is required',
      'subscriber.email': 'is required',
      privileges: 'must be one of the offered choices',
    });
    expect(placed.general).toBeNull();
  });

  it('keeps what no field shows as one readable line', () => {
    const placed = formProblem(validation([{ path: 'body/unknown', message: 'must be string' }]), ['name']);
    expect(placed).toEqual({ fields: {}, general: 'unknown must be string' });
  });

  it('maps domain problems by code or by their field extension', () => {
    const policy: Problem = {
      type: 'urn:coffer:problem:password_policy',
      title: 'Bad request',
      status: 400,
      detail: 'The password does not meet the policy: at least 12 characters',
    };
    expect(formProblem(policy, ['newPassword'], { password_policy: 'newPassword' })).toEqual({
      fields: { newPassword: policy.detail },
      general: null,
    });
    const cursor: Problem = {
      ...policy,
      type: 'urn:coffer:problem:validation_failed',
      detail: 'cursor is not valid',
      field: 'cursor',
    };
    expect(formProblem(cursor, ['cursor'])).toEqual({ fields: { cursor: 'cursor is not valid' }, general: null });
    expect(formProblem(cursor, ['name'])).toEqual({ fields: {}, general: 'cursor is not valid' });
    // The server's field wins over a form's guess by code.
    const named: Problem = { ...policy, field: 'password' };
    expect(formProblem(named, ['password', 'newPassword'], { password_policy: 'newPassword' })).toEqual({
      fields: { password: policy.detail },
      general: null,
    });
  });

  it('turns validator wording into plain words', () => {
    expect(humanizeMessage('must NOT have more than 200 characters')).toBe('must be at most 200 characters');
    expect(humanizeMessage('must NOT have fewer than 8 characters')).toBe('must be at least 8 characters');
    expect(humanizeMessage('must match pattern "^[A-Za-z0-9_-]{1,32}$"')).toBe(
      'contains characters or a form that is not allowed',
    );
    expect(humanizeMessage('must be >= 1')).toBe('must be at least 1');
    expect(humanizeMessage('something else')).toBe('something else');
    expect(fieldPathOf('querystring/limit')).toBe('limit');
    expect(fieldPathOf('body')).toBe('');
  });

  it('makes a problem of any error answer and names its code', () => {
    const proxyPage = toProblem(502, '<html>Bad gateway</html>');
    expect(proxyPage.status).toBe(502);
    expect(new ApiError(proxyPage).code).toBe('internal_error');
    expect(toProblem(0, null).detail).toMatch(/cannot be reached/);
    const error = new ApiError(
      toProblem(409, {
        type: 'urn:coffer:problem:conflict',
        title: 'Conflict',
        status: 409,
        detail: 'taken',
        reason: 'code_taken',
      }),
    );
    expect({ code: error.code, status: error.status, message: error.message, reason: error.problem.reason }).toEqual({
      code: 'conflict',
      status: 409,
      message: 'taken',
      reason: 'code_taken',
    });
  });
});
