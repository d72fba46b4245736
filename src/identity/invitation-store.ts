import type { IdentityDb } from './db.ts';
import type { InvitationTable } from './tables.ts';

export async function insertInvitation(db: IdentityDb, row: InvitationTable): Promise<void> {
  await db.insertInto('invitations').values(row).execute();
}

export async function findInvitationByTokenHash(db: IdentityDb, tokenHash: string): Promise<InvitationTable | null> {
  return (
    (await db.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()) ?? null
  );
}

/** Marks the invitation used; false if another request used it first. */
export async function consumeInvitation(db: IdentityDb, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('invitations')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Earlier links stop working when a new one is sent. */
export async function expireInvitationsOfUser(db: IdentityDb, userId: string, now: number): Promise<void> {
  await db
    .updateTable('invitations')
    .set({ expires_at: now })
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .execute();
}
