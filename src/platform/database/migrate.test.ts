import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../../test/helpers/databases.ts';
import { isSchemaCurrent, migrateTo, migrateToLatest, migrationNames } from './migrate.ts';

describeEachDatabase('migrations', (factory) => {
  it('builds the latest schema from an empty database', async () => {
    const database = await factory.create({ migrate: false });
    expect(await isSchemaCurrent(database.kysely)).toBe(false);
    await migrateToLatest(database.kysely);
    expect(await isSchemaCurrent(database.kysely)).toBe(true);
    await sql`select count(*) from jobs`.execute(database.kysely);
    // A second run is a no-op.
    await migrateToLatest(database.kysely);
  });

  for (const name of migrationNames()) {
    it(`upgrades a database left at ${name}`, async () => {
      const database = await factory.create({ migrate: false });
      await migrateTo(database.kysely, name);
      await migrateToLatest(database.kysely);
      expect(await isSchemaCurrent(database.kysely)).toBe(true);
    });
  }

  it('migrates once when two processes start together', async () => {
    const first = await factory.create({ migrate: false });
    const second = await first.reopen();
    await Promise.all([migrateToLatest(first.kysely), migrateToLatest(second.kysely)]);
    expect(await isSchemaCurrent(first.kysely)).toBe(true);
  });
});
