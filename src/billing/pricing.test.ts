import { describe, expect, it } from 'vitest';
import { ValidationError } from '../platform/index.ts';
import { measureGauge } from './measure.ts';
import { fraction } from './money.ts';
import { billableQuantity, lineAmount, priceQuantity } from './pricing.ts';
import { checkProduct, type ProductInput } from './product.ts';

const GB = 1_000_000_000n;
const GiB = 1_073_741_824n;

function product(input: Partial<ProductInput> = {}) {
  return checkProduct({ name: 'Storage', metric: 'stored', currency: 'EUR', unitPrice: 10, ...input } as ProductInput);
}

const month = { months: 1, activeDays: 30, periodDays: 30 };

describe('quantities and prices (hand-computed)', () => {
  it('settles units to 0.001 and packages per started block', () => {
    const bytes = fraction(1_234_567_891_234n);
    expect(billableQuantity(bytes, product()).quantityMilli).toBe(1_234_568n); // 1234.567891 GB → 1234.568
    const gib = billableQuantity(fraction(3n * GiB), product({ unit: 'GiB' }));
    expect(gib.quantityMilli).toBe(3_000n);
    const packs = billableQuantity(fraction(201n * GB), product({ settlement: 'packages', packageSize: 100 }));
    expect(packs.packages).toBe(3n);
    expect(packs.quantityMilli).toBe(3_000n);
    const exact = billableQuantity(fraction(200n * GB), product({ settlement: 'packages', packageSize: 100 }));
    expect(exact.packages).toBe(2n);
    expect(billableQuantity(fraction(0n), product({ settlement: 'packages', packageSize: 100 })).packages).toBe(0n);
  });

  it('takes latest, peak and average of the daily values', () => {
    const values = [10n, 40n, 20n, 30n];
    expect(measureGauge(values, 'latest').value).toEqual(fraction(30n));
    expect(measureGauge(values, 'peak').value).toEqual(fraction(40n));
    expect(measureGauge(values, 'average').value).toEqual(fraction(100n, 4n));
  });

  it('prices volume tiers on the whole quantity and graduated tiers per slice', () => {
    const tiers = [
      { upTo: 100, unitPrice: 10 },
      { upTo: 500, unitPrice: 8 },
      { upTo: null, unitPrice: 5 },
    ];
    const volume = product({ unitPrice: undefined, tierMode: 'volume', tiers });
    const graduated = product({ unitPrice: undefined, tierMode: 'graduated', tiers });
    // 600 units: volume → 600 × 5 = 3000; graduated → 100 × 10 + 400 × 8 + 100 × 5 = 4700.
    expect(priceQuantity(600_000n, volume).milliMinor).toBe(3_000_000n);
    expect(priceQuantity(600_000n, graduated).milliMinor).toBe(4_700_000n);
    // Exactly on a bound: 100 units stay in tier 1 (bounds are inclusive).
    expect(priceQuantity(100_000n, volume).portions[0]?.tier).toBe(0);
    expect(priceQuantity(100_000n, graduated).milliMinor).toBe(1_000_000n);
    // 100.5 units graduated: 100 × 10 + 0.5 × 8 = 1004.
    expect(priceQuantity(100_500n, graduated).milliMinor).toBe(1_004_000n);
  });

  it('prorates gauges by active days, applies the minimum and rounds once, half up', () => {
    const p = product({ unitPrice: 7, minimumCharge: 500 });
    // 12.345 GB × 7 = 86.415 cents per month; quarter (3 months), active 45 of 90 days:
    // 86.415 × 3 × 45/90 = 129.6225 → 130; minimum 500 × 3 × 45/90 = 750 applies.
    const priced = priceQuantity(12_345n, p);
    const amount = lineAmount(priced, p, { months: 3, activeDays: 45, periodDays: 90 }, true);
    expect(amount.minimumApplied).toBe(true);
    expect(amount.amount).toBe(750n);
    const noMinimum = product({ unitPrice: 7 });
    const plain = lineAmount(
      priceQuantity(12_345n, noMinimum),
      noMinimum,
      { months: 3, activeDays: 45, periodDays: 90 },
      true,
    );
    expect(plain.amount).toBe(130n);
    // Flows are not multiplied by time: 2.5 units × 1 = 2.5 → 3.
    const flow = checkProduct({ name: 'Support', metric: 'manual', currency: 'EUR', unitPrice: 1 });
    expect(lineAmount(priceQuantity(2_500n, flow), flow, month, false).amount).toBe(3n);
  });

  it('refuses inconsistent products', () => {
    const bad: Partial<ProductInput>[] = [
      { metric: 'cpu' },
      { unit: 'TB' },
      { metric: 'clients', unit: 'GB' },
      { valueMode: 'total' },
      { metric: 'transferred', valueMode: 'average' },
      { settlement: 'units', packageSize: 100 },
      { settlement: 'packages', packageSize: 0 },
      { unitPrice: -1 },
      { unitPrice: 1.5 },
      { currency: 'euro' },
      { tierMode: 'volume', unitPrice: undefined, tiers: [] },
      { tierMode: 'volume', unitPrice: undefined, tiers: [{ upTo: 10, unitPrice: 1 }] },
      {
        tierMode: 'graduated',
        unitPrice: undefined,
        tiers: [
          { upTo: 10, unitPrice: 1 },
          { upTo: 5, unitPrice: 1 },
          { upTo: null, unitPrice: 1 },
        ],
      },
      { tierMode: 'volume', tiers: [{ upTo: null, unitPrice: 1 }] },
      { minimumCharge: -5 },
      { name: '' },
    ];
    for (const input of bad) expect(() => product(input), JSON.stringify(input)).toThrow(ValidationError);
  });
});
