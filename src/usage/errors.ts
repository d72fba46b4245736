import { CofferError } from '../platform/index.ts';

/**
 * A new backup was refused because a unit's stored bytes reached its hard quota. Restores
 * are never refused for quota. `details` name the unit whose limit applies (the data
 * source's own unit or an ancestor), its usage and its limit, so the agent can say why.
 */
export class QuotaExceededError extends CofferError {
  constructor(input: { buId: string; limitBuId: string; usedBytes: bigint; hardBytes: number }) {
    super(
      'quota_exceeded',
      `storage quota exceeded: ${input.usedBytes} bytes stored, hard limit ${input.hardBytes} bytes; new backups are refused until data is removed or the quota is raised (restores remain possible)`,
      {
        details: {
          buId: input.buId,
          limitBuId: input.limitBuId,
          usedBytes: input.usedBytes.toString(),
          hardBytes: input.hardBytes,
        },
      },
    );
  }
}
