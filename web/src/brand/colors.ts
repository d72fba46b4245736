// Colour arithmetic for brands: a unit stores one primary and one accent colour (`#rrggbb`);
// the component library wants ten shades of each, and text on them must stay readable.

export type Rgb = readonly [number, number, number];

export function parseHex(hex: string): Rgb | null {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
  if (!match) return null;
  return [Number.parseInt(match[1]!, 16), Number.parseInt(match[2]!, 16), Number.parseInt(match[3]!, 16)];
}

export function toHex(rgb: Rgb): string {
  return `#${rgb
    .map((c) =>
      Math.round(Math.min(255, Math.max(0, c)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

function mix(a: Rgb, b: Rgb, amount: number): Rgb {
  return [a[0] + (b[0] - a[0]) * amount, a[1] + (b[1] - a[1]) * amount, a[2] + (b[2] - a[2]) * amount];
}

// Shade 6 is the colour itself (the library's default primary shade in light mode);
// lighter shades mix in white, darker ones black.
const steps = [0.93, 0.84, 0.7, 0.54, 0.38, 0.2, 0, -0.14, -0.28, -0.42];

/** Ten shades from lightest to darkest, the brand colour at index 6. */
export function shadesOf(hex: string): string[] | null {
  const base = parseHex(hex);
  if (!base) return null;
  return steps.map((step) => toHex(step >= 0 ? mix(base, [255, 255, 255], step) : mix(base, [0, 0, 0], -step)));
}

/** WCAG 2 relative luminance (0 black … 1 white). */
export function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((channel) => {
    const c = channel / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two colours (1 … 21). */
export function contrastRatio(a: Rgb, b: Rgb): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** Black or white, whichever reads better on `hex` (for text on filled brand buttons). */
export function readableTextOn(hex: string): '#000000' | '#ffffff' {
  const rgb = parseHex(hex);
  if (!rgb) return '#ffffff';
  return contrastRatio(rgb, [255, 255, 255]) >= contrastRatio(rgb, [0, 0, 0]) ? '#ffffff' : '#000000';
}
