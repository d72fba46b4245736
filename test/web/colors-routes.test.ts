import { describe, expect, it } from 'vitest';
import { brandFromSummary, defaultBrand } from '../../web/src/brand/brand.ts';
import { contrastRatio, parseHex, readableTextOn, shadesOf } from '../../web/src/brand/colors.ts';
import { buildPath, matchPath } from '../../web/src/routing/routes.ts';

describe('brand colours', () => {
  it('makes ten shades with the brand colour itself at index 6', () => {
    const shades = shadesOf('#1971C2');
    expect(shades).toHaveLength(10);
    expect(shades?.[6]).toBe('#1971c2');
    expect(shadesOf('red')).toBeNull();
    // Lighter shades first: luminance falls along the list.
    const light = shades!.map((hex) => contrastRatio(parseHex(hex)!, [0, 0, 0]));
    expect([...light].sort((a, b) => b - a)).toEqual(light);
  });

  it('keeps the default brand readable and picks readable text on any brand colour', () => {
    expect(contrastRatio(parseHex('#1971c2')!, [255, 255, 255])).toBeGreaterThanOrEqual(4.5);
    expect(readableTextOn('#ffe066')).toBe('#000000');
    expect(readableTextOn('#0b3d91')).toBe('#ffffff');
    for (const hex of ['#ffe066', '#0b3d91', '#40c057', '#ff0000', '#808080']) {
      const text = readableTextOn(hex) === '#ffffff' ? ([255, 255, 255] as const) : ([0, 0, 0] as const);
      expect(contrastRatio(parseHex(hex)!, text)).toBeGreaterThanOrEqual(3.9);
    }
  });
});

describe('brand from the API', () => {
  it('takes the sign-in or own brand, falling back per field and loading logos only from the API', () => {
    const summary = {
      displayName: ' North Backup ',
      primaryColor: '#2b8a3e',
      accentColor: '#f2a900',
      logoUrl: '/api/v1/sign-in/brand/logo?host=backup.north.example&v=0123456789abcdef',
    };
    expect(brandFromSummary(summary, 'unit-1')).toEqual({
      productName: 'North Backup',
      primaryColor: '#2b8a3e',
      accentColor: '#f2a900',
      logoUrl: summary.logoUrl,
      unitId: 'unit-1',
    });
    const odd = brandFromSummary(
      { displayName: '  ', primaryColor: 'red', accentColor: '', logoUrl: 'https://elsewhere.example/logo.png' },
      null,
    );
    expect(odd).toEqual({ ...defaultBrand, unitId: null });
    expect(brandFromSummary({ ...summary, logoUrl: '//elsewhere.example/api/v1/x' }, null).logoUrl).toBeNull();
  });
});

describe('console addresses', () => {
  it('matches and builds paths with encoded parts', () => {
    expect(matchPath('/units/:id', '/units/01a%2Fb')).toEqual({ id: '01a/b' });
    expect(matchPath('/units/:id', '/units')).toBeNull();
    expect(matchPath('/admin/users', '/admin/users/')).toEqual({});
    expect(matchPath('/units/:id', '/units/%E0%A4%A')).toBeNull();
    expect(buildPath('/units/:id', { id: 'a b' }, { tab: 'move', unit: undefined })).toBe('/units/a%20b?tab=move');
  });
});
