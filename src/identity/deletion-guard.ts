import { registerDeletionGuard } from '../tenancy/index.ts';
import type { IdentityDb } from './db.ts';
import { unitOccupancy } from './principal-store.ts';

/**
 * A unit that still has users, unrevoked API keys scoped to it, or custom roles defined in
 * it cannot be deleted: those would lose their anchor (delete, revoke or move them first).
 */
registerDeletionGuard('identity.principals', async (trx, buId) => {
  const { users, apiKeys, roles } = await unitOccupancy(trx as unknown as IdentityDb, buId);
  const parts = [
    users > 0 ? `${users} user(s)` : null,
    apiKeys > 0 ? `${apiKeys} API key(s)` : null,
    roles > 0 ? `${roles} custom role(s)` : null,
  ].filter((p) => p !== null);
  return parts.length > 0 ? `${parts.join(', ')} still belong to this unit` : null;
});
