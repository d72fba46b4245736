import type { IdentityDb } from './db.ts';
import type { SignInChallengeTable, UserTotpTable } from './tables.ts';

export async function findTotp(db: IdentityDb, userId: string): Promise<UserTotpTable | null> {
  return (await db.selectFrom('user_totp').selectAll().where('user_id', '=', userId).executeTakeFirst()) ?? null;
}

/** Starts (or restarts) enrolment: any earlier secret of the user is replaced. */
export async function saveTotpSecret(db: IdentityDb, userId: string, sealedSecret: string, now: number): Promise<void> {
  await db.deleteFrom('user_totp').where('user_id', '=', userId).execute();
  await db
    .insertInto('user_totp')
    .values({
      user_id: userId,
      secret_ciphertext: sealedSecret,
      confirmed_at: null,
      last_used_step: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

/**
 * Accepts time step `step` only if it is above every step accepted before: one atomic
 * conditional update, so two requests racing with the same code cannot both win.
 */
export async function claimTotpStep(db: IdentityDb, userId: string, step: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('user_totp')
    .set({ last_used_step: step, updated_at: now })
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function confirmTotp(db: IdentityDb, userId: string, now: number): Promise<void> {
  await db.updateTable('user_totp').set({ confirmed_at: now, updated_at: now }).where('user_id', '=', userId).execute();
}

export async function deleteTotp(db: IdentityDb, userId: string): Promise<void> {
  await db.deleteFrom('user_totp').where('user_id', '=', userId).execute();
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
}

export async function replaceRecoveryCodes(
  db: IdentityDb,
  userId: string,
  codes: readonly { id: string; hash: string }[],
  now: number,
): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  if (codes.length === 0) return;
  await db
    .insertInto('recovery_codes')
    .values(codes.map((c) => ({ id: c.id, user_id: userId, code_hash: c.hash, used_at: null, created_at: now })))
    .execute();
}

/** Marks the matching unused code used; false when none matches (each code works once). */
export async function consumeRecoveryCode(
  db: IdentityDb,
  userId: string,
  codeHash: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('recovery_codes')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function countUnusedRecoveryCodes(db: IdentityDb, userId: string): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertChallenge(db: IdentityDb, row: SignInChallengeTable): Promise<void> {
  await db.insertInto('sign_in_challenges').values(row).execute();
}

export async function findChallenge(db: IdentityDb, tokenHash: string): Promise<SignInChallengeTable | null> {
  return (
    (await db.selectFrom('sign_in_challenges').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()) ??
    null
  );
}

export async function countChallengeAttempt(db: IdentityDb, id: string): Promise<void> {
  await db
    .updateTable('sign_in_challenges')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .execute();
}

export async function deleteChallenge(db: IdentityDb, id: string): Promise<void> {
  await db.deleteFrom('sign_in_challenges').where('id', '=', id).execute();
}
