import { afterAll } from 'vitest';
import { removeTestDatabases } from './helpers/databases.ts';

afterAll(async () => {
  await removeTestDatabases();
});
