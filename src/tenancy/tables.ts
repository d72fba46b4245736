/** Tables owned by the tenancy module. */
export type TenancyTables = {
  business_units: BusinessUnitTable;
  bu_closure: BuClosureTable;
  bu_settings: BuSettingTable;
  bu_brands: BuBrandTable;
  bu_logos: BuLogoTable;
};

export interface BusinessUnitTable {
  id: string;
  parent_id: string | null;
  name: string;
  code: string | null;
  /** Absolute depth: the root is 0. Kept in step with the closure table by every move. */
  depth: number;
  created_at: number;
  updated_at: number;
}

/** One row per (ancestor, descendant) pair, including each unit with itself at depth 0. */
export interface BuClosureTable {
  ancestor_id: string;
  descendant_id: string;
  depth: number;
}

/** A setting value set at one unit; descendants inherit it unless they set their own. */
export interface BuSettingTable {
  bu_id: string;
  key: string;
  /** JSON text of the value, validated against the setting's definition when written. */
  value: string;
  /** 1: descendants cannot override it, and only callers above this unit may change it. */
  locked: number;
  updated_at: number;
  updated_by: string | null;
}

/** Brand fields a unit overrides; null fields are inherited from the nearest ancestor. */
export interface BuBrandTable {
  bu_id: string;
  display_name: string | null;
  primary_color: string | null;
  accent_color: string | null;
  email_sender_name: string | null;
  email_sender_address: string | null;
  /** The unit's own sign-in address (a lower-case host name, unique); never inherited. */
  sign_in_host: string | null;
  updated_at: number;
}

/** A unit's own logo (small; stored in the database so every server process serves it). */
export interface BuLogoTable {
  bu_id: string;
  content_type: string;
  bytes: Uint8Array;
  byte_size: number;
  sha256: string;
  updated_at: number;
}
