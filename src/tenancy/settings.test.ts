import { describe, expect, it } from 'vitest';
import './builtin-settings.ts';
import { namingPlaceholders, parseNamingTemplate, renderNamingTemplate } from './naming-template.ts';
import {
  listSettingDefinitions,
  registerSettingDefinition,
  settingDefinition,
  validateSettingValue,
} from './settings.ts';

describe('setting registry', () => {
  it('holds the built-in settings with valid defaults', () => {
    expect(listSettingDefinitions().map((d) => d.key)).toEqual(
      expect.arrayContaining([
        'datasource.namingRule',
        'mfa.required',
        'password.policy',
        'quota.storage',
        'retention.earliestDeletionDays',
        'session.lifetimeMinutes',
      ]),
    );
    for (const d of listSettingDefinitions()) expect(validateSettingValue(d.key, d.default)).toEqual(d.default);
  });

  it('validates values against the schema and the extra check, saying what is wrong', () => {
    expect(validateSettingValue('mfa.required', true)).toBe(true);
    expect(() => validateSettingValue('mfa.required', 'yes')).toThrow(/must be boolean/);
    expect(() => validateSettingValue('session.lifetimeMinutes', 4)).toThrow(/>= 5/);
    expect(() => validateSettingValue('session.lifetimeMinutes', 60.5)).toThrow(/integer/);
    expect(() =>
      validateSettingValue('password.policy', {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigit: true,
        requireSymbol: true,
        extra: 1,
      }),
    ).toThrow(/additional properties/);
    expect(validateSettingValue('quota.storage', { softBytes: 10, hardBytes: 10 })).toEqual({
      softBytes: 10,
      hardBytes: 10,
    });
    expect(validateSettingValue('quota.storage', null)).toBeNull();
    expect(() => validateSettingValue('quota.storage', { softBytes: 11, hardBytes: 10 })).toThrow(
      /softBytes must not exceed hardBytes/,
    );
    expect(() => validateSettingValue('quota.storage', { softBytes: -1, hardBytes: 10 })).toThrow();
    expect(() => validateSettingValue('datasource.namingRule', '{bu.code}-{host}')).toThrow(
      /unknown placeholder \{host\}/,
    );
  });

  it('refuses unknown keys as not found', () => {
    expect(() => settingDefinition('no.such')).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => validateSettingValue('no.such', 1)).toThrow(expect.objectContaining({ code: 'not_found' }));
  });

  it('lets modules register more settings, refusing clashes and bad definitions', () => {
    const definition = { key: 'test.widgets', description: 'Widgets', schema: { type: 'integer' }, default: 3 };
    registerSettingDefinition(definition);
    registerSettingDefinition(definition);
    expect(validateSettingValue('test.widgets', 4)).toBe(4);
    expect(() => registerSettingDefinition({ ...definition })).toThrow(/already registered/);
    expect(() => registerSettingDefinition({ ...definition, key: 'Bad Key' })).toThrow(/dotted/);
    expect(() => registerSettingDefinition({ ...definition, key: 'test.badDefault', default: 'x' })).toThrow(/default/);
  });
});

describe('naming templates', () => {
  it('renders placeholders', () => {
    expect(renderNamingTemplate('{bu.code}-{hostname}', { 'bu.code': 'ACME', hostname: 'web01' })).toBe('ACME-web01');
    expect(
      renderNamingTemplate('{bu.name} / {os} / {hostname}', { 'bu.name': 'Acme', os: 'linux', hostname: 'h' }),
    ).toBe('Acme / linux / h');
  });

  it('refuses unknown placeholders, unbalanced braces, no placeholder, and missing values', () => {
    expect(parseNamingTemplate('{bu.id}-{hostname}')).toEqual({
      problem: `unknown placeholder {bu.id}; known: ${namingPlaceholders.map((p) => `{${p}}`).join(', ')}`,
    });
    expect(parseNamingTemplate('{hostname')).toMatchObject({ problem: expect.stringMatching(/unbalanced/) });
    expect(parseNamingTemplate('host}')).toMatchObject({ problem: expect.stringMatching(/unbalanced/) });
    expect(parseNamingTemplate('{{hostname}}')).toMatchObject({ problem: expect.stringMatching(/unbalanced/) });
    expect(parseNamingTemplate('static-name')).toMatchObject({ problem: expect.stringMatching(/at least one/) });
    expect(parseNamingTemplate('')).toMatchObject({ problem: expect.any(String) });
    expect(() => renderNamingTemplate('{bu.code}-{hostname}', { hostname: 'h', 'bu.code': null })).toThrow(
      /\{bu.code\}/,
    );
  });
});
