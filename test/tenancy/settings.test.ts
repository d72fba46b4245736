import { beforeAll, expect, it } from 'vitest';
import { effectiveSetting, registerSettingDefinition } from '../../src/tenancy/index.ts';
import { readSetting, readSettings, setSetting, unsetSetting } from '../../src/tenancy/settings-service.ts';
import { describeEachDatabase, type TestDatabase } from '../helpers/databases.ts';
import { auditEntries, buildTree, setUp, snapshot, testContext } from './helpers.ts';

registerSettingDefinition({
  key: 'test.reportHour',
  description: 'A setting registered by another module',
  schema: { type: 'integer', minimum: 0, maximum: 23 },
  default: 6,
});

describeEachDatabase('inherited settings', (factory) => {
  let database: TestDatabase;
  let rootId: string;
  let admin: ReturnType<typeof testContext>;
  let ids: Record<string, string>;

  beforeAll(async () => {
    database = await factory.create();
    ({ rootId, admin } = await setUp(database));
    ids = await buildTree(admin, rootId, [
      { name: 'Reseller', children: [{ name: 'Customer', children: [{ name: 'Dept' }] }, { name: 'Other' }] },
    ]);
  });

  async function expectRefused(action: () => Promise<unknown>, error: object) {
    const before = await snapshot(database);
    await expect(action()).rejects.toMatchObject(error);
    expect(await snapshot(database)).toBe(before);
  }

  it('gives the default with no source where nothing is set', async () => {
    expect(await effectiveSetting(database, ids.Dept!, 'session.lifetimeMinutes')).toEqual({
      key: 'session.lifetimeMinutes',
      value: 720,
      sourceBuId: null,
      locked: false,
    });
    expect((await readSetting(admin, ids.Dept!, 'test.reportHour')).value).toBe(6);
  });

  it('inherits from the nearest ancestor and shows the source', async () => {
    await setSetting(admin, ids.Reseller!, 'password.policy', {
      value: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigit: true,
        requireSymbol: false,
      },
    });
    await setSetting(admin, ids.Customer!, 'password.policy', {
      value: {
        minLength: 20,
        requireLowercase: false,
        requireUppercase: false,
        requireDigit: false,
        requireSymbol: false,
      },
    });
    const atDept = await effectiveSetting(database, ids.Dept!, 'password.policy');
    expect(atDept).toMatchObject({ value: { minLength: 20 }, sourceBuId: ids.Customer });
    expect((await effectiveSetting(database, ids.Other!, 'password.policy')).value.minLength).toBe(14);
    const view = await readSetting(admin, ids.Dept!, 'password.policy');
    expect(view).toMatchObject({ source: { kind: 'unit', buId: ids.Customer }, own: null, locked: false });

    await unsetSetting(admin, ids.Customer!, 'password.policy');
    expect((await effectiveSetting(database, ids.Dept!, 'password.policy')).sourceBuId).toBe(ids.Reseller);
    const entries = (await auditEntries(database)).filter((e) => e.resource_id === 'password.policy');
    expect(entries.map((e) => e.action)).toEqual(['settings.set', 'settings.set', 'settings.unset']);
    expect(entries[2]).toMatchObject({ bu_id: ids.Customer, before: { value: { minLength: 20 } }, after: null });
  });

  it('lists every setting with its effective value', async () => {
    const all = await readSettings(admin, ids.Dept!);
    expect(all.map((s) => s.key)).toEqual(expect.arrayContaining(['mfa.required', 'quota.storage', 'test.reportHour']));
    expect(all.find((s) => s.key === 'password.policy')?.source).toEqual({ kind: 'unit', buId: ids.Reseller });
  });

  it('hides a source above the caller’s scope', async () => {
    await setSetting(admin, rootId, 'session.lifetimeMinutes', { value: 90 });
    const customer = testContext(database, ids.Customer!);
    expect(await readSetting(customer, ids.Dept!, 'session.lifetimeMinutes')).toMatchObject({
      value: 90,
      source: { kind: 'above_scope' },
    });
  });

  it('refuses unknown keys, invalid values, soft > hard quotas and bad templates, writing nothing', async () => {
    await expectRefused(() => setSetting(admin, ids.Dept!, 'no.such', { value: 1 }), { code: 'not_found' });
    await expectRefused(() => setSetting(admin, ids.Dept!, 'mfa.required', { value: 'true' }), {
      code: 'validation_failed',
    });
    await expectRefused(
      () => setSetting(admin, ids.Dept!, 'quota.storage', { value: { softBytes: 2, hardBytes: 1 } }),
      {
        code: 'validation_failed',
        message: expect.stringMatching(/softBytes must not exceed hardBytes/),
      },
    );
    await expectRefused(() => setSetting(admin, ids.Dept!, 'datasource.namingRule', { value: '{bu.code}-{serial}' }), {
      message: expect.stringMatching(/unknown placeholder \{serial\}/),
    });
    await expectRefused(() => setSetting(admin, ids.Dept!, 'test.reportHour', { value: 24 }), {
      code: 'validation_failed',
    });
    await expectRefused(() => readSetting(admin, ids.Dept!, 'no.such'), { code: 'not_found' });
  });

  it('stores valid quota and naming rule values', async () => {
    await setSetting(admin, ids.Customer!, 'quota.storage', { value: { softBytes: 1e9, hardBytes: 2e9 } });
    await setSetting(admin, ids.Customer!, 'datasource.namingRule', { value: '{bu.code}-{hostname}' });
    expect((await effectiveSetting(database, ids.Dept!, 'quota.storage')).value).toEqual({
      softBytes: 1e9,
      hardBytes: 2e9,
    });
    expect((await effectiveSetting(database, ids.Dept!, 'datasource.namingRule')).value).toBe('{bu.code}-{hostname}');
    await setSetting(admin, ids.Dept!, 'quota.storage', { value: null });
    expect(await effectiveSetting(database, ids.Dept!, 'quota.storage')).toMatchObject({
      value: null,
      sourceBuId: ids.Dept,
    });
  });

  it('enforces locks: units below cannot override, the locked unit’s own admins cannot change it', async () => {
    await setSetting(admin, ids.Reseller!, 'retention.earliestDeletionDays', { value: 30, locked: true });
    const reseller = testContext(database, ids.Reseller!);
    await expectRefused(() => setSetting(reseller, ids.Customer!, 'retention.earliestDeletionDays', { value: 0 }), {
      code: 'conflict',
      details: { reason: 'setting_locked', lockedAt: ids.Reseller },
    });
    await expectRefused(() => setSetting(reseller, ids.Reseller!, 'retention.earliestDeletionDays', { value: 1 }), {
      code: 'forbidden',
    });
    await expectRefused(() => unsetSetting(reseller, ids.Reseller!, 'retention.earliestDeletionDays'), {
      code: 'forbidden',
    });
    // A reseller may lock below its own top unit, and change what it locked there.
    await setSetting(reseller, ids.Customer!, 'mfa.required', { value: true, locked: true });
    await setSetting(reseller, ids.Customer!, 'mfa.required', { value: true, locked: false });
    await expectRefused(() => setSetting(reseller, ids.Reseller!, 'mfa.required', { value: true, locked: true }), {
      code: 'forbidden',
    });

    // A lock wins over values set below it before it was placed.
    await setSetting(admin, ids.Dept!, 'session.lifetimeMinutes', { value: 15 });
    await setSetting(admin, ids.Reseller!, 'session.lifetimeMinutes', { value: 45, locked: true });
    expect(await effectiveSetting(database, ids.Dept!, 'session.lifetimeMinutes')).toEqual({
      key: 'session.lifetimeMinutes',
      value: 45,
      sourceBuId: ids.Reseller,
      locked: true,
    });
    const customer = testContext(database, ids.Customer!);
    expect(await readSetting(customer, ids.Dept!, 'session.lifetimeMinutes')).toMatchObject({
      value: 45,
      locked: true,
      source: { kind: 'above_scope' },
      own: { value: 15, locked: false },
    });
    await unsetSetting(admin, ids.Reseller!, 'session.lifetimeMinutes');
    expect((await effectiveSetting(database, ids.Dept!, 'session.lifetimeMinutes')).value).toBe(15);
  });

  it('needs settings.read / settings.update and reach of the unit', async () => {
    const readOnly = testContext(database, ids.Reseller!, { privileges: ['settings.read'] });
    expect((await readSetting(readOnly, ids.Customer!, 'mfa.required')).key).toBe('mfa.required');
    await expectRefused(() => setSetting(readOnly, ids.Customer!, 'mfa.required', { value: true }), {
      code: 'forbidden',
    });
    const other = testContext(database, ids.Other!);
    await expectRefused(() => setSetting(other, ids.Customer!, 'mfa.required', { value: true }), { code: 'not_found' });
    await expectRefused(() => readSettings(other, ids.Customer!), { code: 'not_found' });
  });

  it('treats unsetting a value that is not set as a no-op', async () => {
    const before = await snapshot(database);
    await unsetSetting(admin, ids.Other!, 'mfa.required');
    expect(await snapshot(database)).toBe(before);
  });
});
