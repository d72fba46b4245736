import { createTheme, type MantineColorsTuple, type MantineThemeOverride } from '@mantine/core';
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

/** A brand as the API gives it to show: the sign-in brand of an address, or the own brand in `/me`. */
export interface BrandSummary {
  displayName: string;
  primaryColor: string;
  accentColor: string;
  logoUrl: string | null;
}

/** The console's brand from the API's summary; empty or malformed fields fall back to the default. */
export function brandFromSummary(summary: BrandSummary, unitId: string | null): Brand {
  const color = (value: string | null | undefined, fallback: string) => (value && parseHex(value) ? value : fallback);
  return {
    productName: summary.displayName.trim() || defaultBrand.productName,
    primaryColor: color(summary.primaryColor, defaultBrand.primaryColor),
    accentColor: color(summary.accentColor, defaultBrand.accentColor),
    // Only same-origin API paths: a brand cannot make the console load anything from elsewhere.
    logoUrl: summary.logoUrl?.startsWith('/api/v1/') ? summary.logoUrl : null,
    unitId,
  };
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
