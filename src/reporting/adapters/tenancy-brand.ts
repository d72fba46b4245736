import type { Database } from '../../platform/index.ts';
import type { TenancyTables } from '../../tenancy/index.ts';
import type { BrandProvider, ReportBrand } from '../ports.ts';

/** The product's own look where no unit on the path sets a field (tenancy's defaults). */
const fallback = {
  displayName: 'Coffer',
  primaryColor: '#1f4e79',
  accentColor: '#f2a900',
  senderName: 'Coffer',
} as const;

/**
 * The effective brand of a unit: per field, the nearest unit on its path to the root that
 * sets it (tenancy's inheritance rule), and the nearest logo. Tenancy's public entry offers
 * the brand only to callers with a request context, so this reads its brand tables directly,
 * read-only; it should switch to a context-free tenancy function once one is exported.
 */
export function tenancyBrandProvider(database: Database): BrandProvider {
  const db = database.kysely.withTables<TenancyTables>();
  return Object.freeze({
    async brandFor(buId: string): Promise<ReportBrand> {
      const [rows, logo] = await Promise.all([
        db
          .selectFrom('bu_closure')
          .innerJoin('bu_brands', 'bu_brands.bu_id', 'bu_closure.ancestor_id')
          .selectAll('bu_brands')
          .where('bu_closure.descendant_id', '=', buId)
          .orderBy('bu_closure.depth', 'asc')
          .execute(),
        db
          .selectFrom('bu_closure')
          .innerJoin('bu_logos', 'bu_logos.bu_id', 'bu_closure.ancestor_id')
          .select(['bu_logos.content_type', 'bu_logos.bytes'])
          .where('bu_closure.descendant_id', '=', buId)
          .orderBy('bu_closure.depth', 'asc')
          .limit(1)
          .executeTakeFirst(),
      ]);
      const nearest = <
        K extends 'display_name' | 'primary_color' | 'accent_color' | 'email_sender_name' | 'email_sender_address',
      >(
        column: K,
      ): string | null => rows.find((row) => row[column] !== null)?.[column] ?? null;
      const displayName = nearest('display_name') ?? fallback.displayName;
      return {
        displayName,
        primaryColor: nearest('primary_color') ?? fallback.primaryColor,
        accentColor: nearest('accent_color') ?? fallback.accentColor,
        senderName: nearest('email_sender_name') ?? displayName,
        senderAddress: nearest('email_sender_address') ?? '',
        logo: logo ? { contentType: logo.content_type, data: new Uint8Array(logo.bytes) } : null,
      };
    },
  });
}
