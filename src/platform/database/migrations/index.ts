import type { Migration } from 'kysely/migration';
import * as m0001 from './0001-platform.ts';
import * as m0002 from './0002-tenancy-identity.ts';
import * as m0003 from './0003-tenancy-settings-branding.ts';
import * as m0004 from './0004-identity-auth.ts';
import * as m0005 from './0005-usage.ts';
import * as m0006 from './0006-billing.ts';
import * as m0008 from './0008-reporting.ts';
import * as m0010 from './0010-protection.ts';
import * as m0011 from './0011-protection-storage-problems.ts';
import * as m0012 from './0012-tenancy-sign-in-host.ts';
import * as m0013 from './0013-protection-events.ts';

/**
 * Every schema migration, in order. Forward-only: a released migration is never edited;
 * change the schema with a new one appended here. Names sort in application order.
 */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-platform': m0001,
  '0002-tenancy-identity': m0002,
  '0003-tenancy-settings-branding': m0003,
  '0004-identity-auth': m0004,
  '0005-usage': m0005,
  '0006-billing': m0006,
  '0008-reporting': m0008,
  '0010-protection': m0010,
  '0011-protection-storage-problems': m0011,
  '0012-tenancy-sign-in-host': m0012,
  '0013-protection-events': m0013,
});
