import { createTheme, type MantineColorsTuple, type MantineThemeOverride } from '@mantine/core';
import type { EffectiveBrand } from '../api/types.ts';
import { parseHex, shadesOf } from './colors.ts';

/** What the console shows of a unit's brand. */
export interface Brand {
  productName: string;
  primaryColor: string;
  accentColor: string;
  /** Same-origin URL of the effective logo (changes with its content), or null. */
  logoUrl: string | null;
  /** The unit whose effective brand this is; null for the installation's default. */
  unitId: string | null;
}

export const defaultBrand: Brand = Object.freeze({
  productName: 'Coffer',
  primaryColor: '#1971c2',
  accentColor: '#0c8599',
  logoUrl: null,
  unitId: null,
});

/** The console's brand from a unit's effective brand (fields a unit leaves empty fall back to the default). */
export function brandFromEffective(effective: EffectiveBrand): Brand {
  const color = (value: string | null | undefined, fallback: string) => (value && parseHex(value) ? value : fallback);
  return {
    productName: effective.fields.displayName.value?.trim() || defaultBrand.productName,
    primaryColor: color(effective.fields.primaryColor.value, defaultBrand.primaryColor),
    accentColor: color(effective.fields.accentColor.value, defaultBrand.accentColor),
    logoUrl: effective.logo?.sha256
      ? `/api/v1/business-units/${encodeURIComponent(effective.buId)}/brand/logo?v=${effective.logo.sha256.slice(0, 16)}`
      : null,
    unitId: effective.buId,
  };
}

const storageKey = 'coffer.brand';

/**
 * The brand last seen in this browser. The sign-in page shows it, because the API offers no
 * brand to anonymous callers (see docs/web-console.md, API gaps).
 */
export function storedBrand(): Brand {
  try {
    const parsed = JSON.parse(window.localStorage.getItem(storageKey) ?? 'null') as Partial<Brand> | null;
    if (!parsed || typeof parsed.productName !== 'string') return defaultBrand;
    return {
      productName: parsed.productName || defaultBrand.productName,
      primaryColor:
        parsed.primaryColor && parseHex(parsed.primaryColor) ? parsed.primaryColor : defaultBrand.primaryColor,
      accentColor: parsed.accentColor && parseHex(parsed.accentColor) ? parsed.accentColor : defaultBrand.accentColor,
      // The logo needs a session to load, so the sign-in page does without it.
      logoUrl: null,
      unitId: typeof parsed.unitId === 'string' ? parsed.unitId : null,
    };
  } catch {
    return defaultBrand;
  }
}

export function storeBrand(brand: Brand): void {
  try {
    window.localStorage.setItem(storageKey, JSON.stringify(brand));
  } catch {
    // Private windows may refuse storage; the brand then shows only after sign-in.
  }
}

function tuple(hex: string): MantineColorsTuple {
  return (shadesOf(hex) ?? shadesOf(defaultBrand.primaryColor)!) as unknown as MantineColorsTuple;
}

/** The component library's theme in a brand's colours; text on filled colours picks black or white for contrast. */
export function themeFor(brand: Brand): MantineThemeOverride {
  return createTheme({
    primaryColor: 'brand',
    primaryShade: 6,
    colors: { brand: tuple(brand.primaryColor), accent: tuple(brand.accentColor) },
    autoContrast: true,
    luminanceThreshold: 0.4,
    defaultRadius: 'sm',
    fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    headings: { fontWeight: '600' },
  });
}
