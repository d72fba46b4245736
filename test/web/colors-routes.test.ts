import { describe, expect, it } from 'vitest';
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

describe('console addresses', () => {
  it('matches and builds paths with encoded parts', () => {
    expect(matchPath('/units/:id', '/units/01a%2Fb')).toEqual({ id: '01a/b' });
    expect(matchPath('/units/:id', '/units')).toBeNull();
    expect(matchPath('/admin/users', '/admin/users/')).toEqual({});
    expect(matchPath('/units/:id', '/units/%E0%A4%A')).toBeNull();
    expect(buildPath('/units/:id', { id: 'a b' }, { tab: 'move', unit: undefined })).toBe('/units/a%20b?tab=move');
  });
});
