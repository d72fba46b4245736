import { beforeAll, expect, it } from 'vitest';
import { getBrand, getLogo, removeLogo, setLogo, updateBrand } from '../../src/tenancy/branding.ts';
import { describeEachDatabase, type TestDatabase } from '../helpers/databases.ts';
import { auditEntries, buildTree, setUp, snapshot, testContext } from './helpers.ts';
import { cleanSvg, makeJpeg, makePng } from './images.ts';

describeEachDatabase('branding', (factory) => {
  let database: TestDatabase;
  let rootId: string;
  let admin: ReturnType<typeof testContext>;
  let ids: Record<string, string>;

  beforeAll(async () => {
    database = await factory.create();
    ({ rootId, admin } = await setUp(database));
    ids = await buildTree(admin, rootId, [
      { name: 'Reseller', children: [{ name: 'Customer', children: [{ name: 'Dept' }] }] },
    ]);
  });

  async function expectRefused(action: () => Promise<unknown>, error: object) {
    const before = await snapshot(database);
    await expect(action()).rejects.toMatchObject(error);
    expect(await snapshot(database)).toBe(before);
  }

  it('inherits each field from the nearest unit that sets it, with its source', async () => {
    await updateBrand(admin, ids.Reseller!, {
      displayName: 'Reseller Backup',
      primaryColor: '#112233',
      emailSenderAddress: 'noreply@reseller.example',
    });
    await updateBrand(admin, ids.Customer!, { primaryColor: '#ABCDEF', emailSenderName: 'Customer IT' });
    const brand = await getBrand(admin, ids.Dept!);
    expect(brand.fields).toEqual({
      displayName: { value: 'Reseller Backup', source: { kind: 'unit', buId: ids.Reseller } },
      primaryColor: { value: '#abcdef', source: { kind: 'unit', buId: ids.Customer } },
      accentColor: { value: '#f2a900', source: { kind: 'default' } },
      emailSenderName: { value: 'Customer IT', source: { kind: 'unit', buId: ids.Customer } },
      emailSenderAddress: { value: 'noreply@reseller.example', source: { kind: 'unit', buId: ids.Reseller } },
    });
    expect(brand.own).toMatchObject({ displayName: null, logo: false });

    await updateBrand(admin, ids.Customer!, { primaryColor: null });
    expect((await getBrand(admin, ids.Dept!)).fields.primaryColor.source).toEqual({ kind: 'unit', buId: ids.Reseller });
    const last = (await auditEntries(database)).at(-1);
    expect(last).toMatchObject({
      action: 'brand.update',
      bu_id: ids.Customer,
      before: { primaryColor: '#abcdef' },
      after: { primaryColor: null },
    });
  });

  it('refuses bad colours, names with control characters and bad addresses, writing nothing', async () => {
    await expectRefused(() => updateBrand(admin, ids.Dept!, { primaryColor: 'red' }), { code: 'validation_failed' });
    await expectRefused(() => updateBrand(admin, ids.Dept!, { displayName: 'Evil\r\nBcc: x' }), {
      code: 'validation_failed',
    });
    await expectRefused(() => updateBrand(admin, ids.Dept!, { emailSenderAddress: 'not an address' }), {
      code: 'validation_failed',
    });
  });

  it('stores, serves, inherits and removes logos', async () => {
    const png = makePng(32, 32);
    await setLogo(admin, ids.Reseller!, 'image/png', png);
    const logo = await getLogo(admin, ids.Dept!);
    expect(logo.contentType).toBe('image/png');
    expect(Buffer.from(logo.bytes).equals(png)).toBe(true);
    expect((await getBrand(admin, ids.Dept!)).logo).toMatchObject({
      contentType: 'image/png',
      byteSize: png.length,
      source: { kind: 'unit', buId: ids.Reseller },
    });

    await setLogo(admin, ids.Customer!, 'image/svg+xml', Buffer.from(cleanSvg));
    expect((await getLogo(admin, ids.Dept!)).contentType).toBe('image/svg+xml');
    await setLogo(admin, ids.Customer!, 'image/jpeg', makeJpeg(10, 10));
    expect((await getLogo(admin, ids.Dept!)).contentType).toBe('image/jpeg');
    await removeLogo(admin, ids.Customer!);
    expect((await getLogo(admin, ids.Dept!)).contentType).toBe('image/png');
    await removeLogo(admin, ids.Reseller!);
    await expect(getLogo(admin, ids.Dept!)).rejects.toMatchObject({ code: 'not_found' });
    expect((await auditEntries(database)).filter((e) => e.action === 'brand.update' && e.after === null)).toHaveLength(
      2,
    );
  });

  it('refuses bad logos, writing nothing', async () => {
    await expectRefused(() => setLogo(admin, ids.Dept!, 'image/gif', Buffer.from('GIF89a')), {
      code: 'unsupported_media_type',
    });
    await expectRefused(() => setLogo(admin, ids.Dept!, 'image/png', makeJpeg(4, 4)), {
      code: 'unsupported_media_type',
    });
    await expectRefused(
      () =>
        setLogo(
          admin,
          ids.Dept!,
          'image/svg+xml',
          Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>'),
        ),
      { code: 'unsupported_media_type', message: expect.stringMatching(/event handler/) },
    );
    await expectRefused(
      () => setLogo(admin, ids.Dept!, 'image/png', Buffer.concat([makePng(4, 4), Buffer.alloc(600_000)])),
      {
        code: 'payload_too_large',
      },
    );
  });

  it('needs bu.update to change and reach to read', async () => {
    const readOnly = testContext(database, ids.Reseller!, { privileges: ['bu.read'] });
    expect((await getBrand(readOnly, ids.Customer!)).buId).toBe(ids.Customer);
    await expectRefused(() => updateBrand(readOnly, ids.Customer!, { displayName: 'X' }), { code: 'forbidden' });
    await expectRefused(() => setLogo(readOnly, ids.Customer!, 'image/png', makePng(2, 2)), { code: 'forbidden' });
    const dept = testContext(database, ids.Dept!);
    await expectRefused(() => getBrand(dept, ids.Customer!), { code: 'not_found' });
    expect((await getBrand(dept, ids.Dept!)).fields.displayName).toEqual({
      value: 'Reseller Backup',
      source: { kind: 'above_scope' },
    });
  });
});
