import type { TenancyDb } from './store.ts';

/** What a move listener learns: the unit that moved (with its subtree) and when. */
export interface UnitMoved {
  readonly movedBuId: string;
  readonly oldParentId: string | null;
  readonly newParentId: string;
  readonly now: number;
}

/**
 * Runs inside the move's transaction, after the tree has changed, so a module can keep its
 * own rows consistent with the new tree atomically (e.g. billing ends contracts whose
 * seller no longer sits above the customer). Throwing aborts the move.
 */
export type MoveListener = (trx: TenancyDb, moved: UnitMoved) => Promise<void>;

const listeners = new Map<string, MoveListener>();

/** Registers (or replaces, by name) a listener for subtree moves. */
export function registerMoveListener(name: string, listener: MoveListener): void {
  listeners.set(name, listener);
}

/** Runs every listener, in registration order. */
export async function notifyMoveListeners(trx: TenancyDb, moved: UnitMoved): Promise<void> {
  for (const listener of listeners.values()) await listener(trx, moved);
}
