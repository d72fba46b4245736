/**
 * Public API of the backup engine. Everything outside src/engine imports from here only.
 */
export { computeBlobId } from './blob-id.ts';
export { BlobIndex, type BlobLocation } from './blob-index.ts';
export { type ListedEntry, listSnapshot } from './browse.ts';
export { fromHex, toHex } from './bytes.ts';
export {
  type AffectedSnapshot,
  type CheckOptions,
  type CheckReport,
  checkRepository,
  type DamagedPack,
} from './check.ts';
export { Chunker, type ChunkerParams, defaultChunkerParams } from './chunker.ts';
export {
  CorruptDataError,
  EngineError,
  isBlobNotFound,
  NotFoundInRepositoryError,
  RepositoryError,
  RepositoryLockedError,
  WrongPasswordError,
} from './errors.ts';
export { type ForgetDecision, forgetSnapshots } from './forget.ts';
export { type BlobType, blobTypeData, blobTypeTree, packIdFromKey, packKey } from './format.ts';
export {
  type BackupOptions,
  type BackupProgress,
  type BackupResult,
  type BackupWarning,
  backup,
  startBackupScan,
} from './fs/backup.ts';
export { type RestoreFailure, type RestoreOptions, type RestoreResult, restore } from './fs/restore.ts';
export { scanTotals } from './fs/scan.ts';
export { decodeIndexFile, encodeIndexFile, type IndexedPack } from './index-file.ts';
export { defaultKdf, type KdfParams, type SlotSecret } from './key-slot.ts';
export {
  catalogPacks,
  listPackObjects,
  readIndexFiles,
  readPackTrailer,
  readSnapshotEnvelopes,
  rebuildIndex,
} from './keyless.ts';
export { type LockEnvironment, processLockEnvironment } from './locks.ts';
export {
  openRecord,
  PackBuilder,
  type PackedBlob,
  parsePackHeader,
  parseTrailer,
  recordHeaderLength,
  scanRecords,
  sealRecord,
  trailerFooterLength,
  trailerLength,
  verifyPackStructure,
} from './pack.ts';
export { type PruneOptions, type PruneReport, prune } from './prune.ts';
export {
  type InitOptions,
  initRepository,
  type LockedIndex,
  lockAndReadIndex,
  openRepository,
  openUnlockedRepository,
  Repository,
  type SnapshotInfo,
} from './repository.ts';
export type { RepositoryConfig } from './repository-config.ts';
export { applyRetention, type RetentionCandidate, type RetentionDecision, type RetentionPolicy } from './retention.ts';
export {
  decodeReferences,
  decodeSnapshotEnvelope,
  decodeSnapshotHeader,
  type Reference,
  type SnapshotEnvelope,
  type SnapshotMeta,
  type SnapshotSummary,
} from './snapshot-file.ts';
export { type RepositoryStats, repositoryStats, type SnapshotStats } from './stats.ts';
export type { EntryKind, Extent, TreeEntry } from './tree.ts';
export { readRepositoryConfig, type UnlockedRepository, unlockRepository } from './unlock.ts';
