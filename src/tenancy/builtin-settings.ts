import { parseNamingTemplate } from './naming-template.ts';
import { registerSettingDefinition } from './settings.ts';

/** Password rules for local sign-in; identity enforces them when a password is set. */
export interface PasswordPolicy {
  minLength: number;
  requireLowercase: boolean;
  requireUppercase: boolean;
  requireDigit: boolean;
  requireSymbol: boolean;
}

/** Stored-bytes quota: above `softBytes` the unit is warned, above `hardBytes` uploads stop. */
export interface StorageQuota {
  softBytes: number;
  hardBytes: number;
}

declare module './settings.ts' {
  interface SettingValues {
    'mfa.required': boolean;
    'password.policy': PasswordPolicy;
    'session.lifetimeMinutes': number;
    'datasource.namingRule': string;
    'retention.earliestDeletionDays': number;
    /** null: no quota. */
    'quota.storage': StorageQuota | null;
  }
}

const byteCount = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

registerSettingDefinition({
  key: 'mfa.required',
  description: 'Users of the unit must enrol and use TOTP to sign in.',
  schema: { type: 'boolean' },
  default: false,
});

registerSettingDefinition({
  key: 'password.policy',
  description: 'Minimum length and required character classes of local passwords.',
  schema: {
    type: 'object',
    properties: {
      minLength: { type: 'integer', minimum: 8, maximum: 256 },
      requireLowercase: { type: 'boolean' },
      requireUppercase: { type: 'boolean' },
      requireDigit: { type: 'boolean' },
      requireSymbol: { type: 'boolean' },
    },
    required: ['minLength', 'requireLowercase', 'requireUppercase', 'requireDigit', 'requireSymbol'],
    additionalProperties: false,
  },
  default: {
    minLength: 12,
    requireLowercase: false,
    requireUppercase: false,
    requireDigit: false,
    requireSymbol: false,
  },
});

registerSettingDefinition({
  key: 'session.lifetimeMinutes',
  description: 'How long a sign-in session lasts, in minutes (5 minutes to 30 days).',
  schema: { type: 'integer', minimum: 5, maximum: 43_200 },
  default: 720,
});

registerSettingDefinition({
  key: 'datasource.namingRule',
  description: 'Template for names of new data sources; placeholders {bu.code}, {bu.name}, {hostname}, {os}.',
  schema: { type: 'string', minLength: 1, maxLength: 200 },
  default: '{hostname}',
  check(value) {
    const parsed = parseNamingTemplate(value);
    return 'problem' in parsed ? parsed.problem : null;
  },
});

registerSettingDefinition({
  key: 'retention.earliestDeletionDays',
  description: 'Backup data may not be deleted (by retention or by hand) before it is this many days old.',
  schema: { type: 'integer', minimum: 0, maximum: 36_500 },
  default: 0,
});

registerSettingDefinition({
  key: 'quota.storage',
  description: 'Stored-bytes quota of the unit’s subtree: soft threshold and hard limit; null for none.',
  schema: {
    anyOf: [
      { type: 'null' },
      {
        type: 'object',
        properties: { softBytes: byteCount, hardBytes: byteCount },
        required: ['softBytes', 'hardBytes'],
        additionalProperties: false,
      },
    ],
  },
  default: null,
  check(value) {
    return value !== null && value.softBytes > value.hardBytes ? 'softBytes must not exceed hardBytes' : null;
  },
});
