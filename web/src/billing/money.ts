// Money as the billing API sends it: integer minor units per currency (never floats).

const minorDigits: Record<string, number> = { JPY: 0, KRW: 0, CLP: 0, ISK: 0, BHD: 3, KWD: 3, OMR: 3, TND: 3, JOD: 3 };

/** Digits after the decimal point of a currency (ISO 4217; 2 unless listed). */
export function currencyDigits(currency: string): number {
  return minorDigits[currency] ?? 2;
}

/** 123456 EUR → "1,234.56 EUR" in the reader's locale, exact (no float rounding of the minor units). */
export function formatMoney(minor: number | null | undefined, currency: string | undefined, locale?: string): string {
  if (minor === null || minor === undefined || !currency) return '–';
  const digits = currencyDigits(currency);
  const negative = minor < 0;
  const text = String(Math.abs(Math.trunc(minor))).padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const fraction = digits > 0 ? text.slice(text.length - digits) : '';
  const grouped = Number(whole).toLocaleString(locale ?? 'en-US');
  return `${negative ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''} ${currency}`;
}

/** Totals per currency as one line: "12.00 EUR, 3.50 USD". */
export function formatTotals(totals: Record<string, unknown> | undefined): string {
  const entries = Object.entries(totals ?? {}).filter(([, amount]) => typeof amount === 'number');
  if (entries.length === 0) return 'nothing';
  return entries.map(([currency, amount]) => formatMoney(amount as number, currency)).join(', ');
}

/** A decimal price typed by a person ("12.5") in minor units (1250); null when it is not one. */
export function parseMoney(text: string, currency: string): number | null {
  const digits = currencyDigits(currency);
  const match = /^\s*(\d+)(?:[.,](\d*))?\s*$/.exec(text);
  if (!match) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return null;
  return Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}
