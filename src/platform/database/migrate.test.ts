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

  it('migrates while other schemas of the database are created and dropped', async () => {
    // PostgreSQL only: other processes (the test suite itself) drop their schemas at any
    // moment, and the migrator must not trip over one that disappears while it looks.
    if (factory.dialect !== 'postgres') return;
    const churn = await factory.create({ migrate: false });
    let running = true;
    const churning = (async () => {
      for (let i = 0; running; i++) {
        const name = `coffer_churn_${process.pid}_${i}`;
        await sql`create schema ${sql.id(name)}`.execute(churn.kysely);
        await sql`create table ${sql.id(name, 'filler')} (id int)`.execute(churn.kysely);
        await sql`drop schema ${sql.id(name)} cascade`.execute(churn.kysely);
      }
    })();
    try {
      for (let round = 0; round < 4; round++) {
        const database = await factory.create({ migrate: false });
        await migrateToLatest(database.kysely);
        expect(await isSchemaCurrent(database.kysely)).toBe(true);
      }
    } finally {
      running = false;
      await churning;
    }
  });
});
