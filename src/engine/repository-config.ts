import { type ChunkerParams, validateChunkerParams } from './chunker.ts';
import { CorruptDataError, RepositoryError } from './errors.ts';
import { repositoryVersion } from './format.ts';

/** The `config` object (JSON, plaintext, docs/FORMAT.md §2). */
export interface RepositoryConfig {
  readonly format: 'coffer-repository';
  readonly version: number;
  /** 16 random bytes, hex: HKDF salt and key-slot binding. */
  readonly id: string;
  readonly chunker: ChunkerParams;
  readonly packSize: number;
  readonly compressionLevel: number;
}

/** Config bytes. */
export function encodeConfig(config: RepositoryConfig): Uint8Array {
  return Buffer.from(`${JSON.stringify(config, null, 2)}\n`, 'utf8');
}

/** Parses and validates the config; throws `RepositoryError` for a version this code cannot read. */
export function decodeConfig(bytes: Uint8Array): RepositoryConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new CorruptDataError('repository config is not JSON', { cause: error });
  }
  const config = raw as RepositoryConfig;
  if (typeof config !== 'object' || config === null || config.format !== 'coffer-repository') {
    throw new RepositoryError('not a Coffer repository (config has the wrong format)');
  }
  if (config.version !== repositoryVersion)
    throw new RepositoryError(`unsupported repository version ${config.version}`);
  if (typeof config.id !== 'string' || !/^[0-9a-f]{32}$/.test(config.id))
    throw new CorruptDataError('repository config: bad id');
  if (typeof config.chunker !== 'object' || config.chunker === null)
    throw new CorruptDataError('repository config: no chunker');
  validateChunkerParams(config.chunker);
  if (!Number.isInteger(config.packSize) || config.packSize < 1 << 16 || config.packSize > 1 << 30) {
    throw new CorruptDataError('repository config: bad pack size');
  }
  if (!Number.isInteger(config.compressionLevel) || config.compressionLevel < 1 || config.compressionLevel > 19) {
    throw new CorruptDataError('repository config: bad compression level');
  }
  return {
    format: 'coffer-repository',
    version: config.version,
    id: config.id,
    chunker: { minSize: config.chunker.minSize, avgSize: config.chunker.avgSize, maxSize: config.chunker.maxSize },
    packSize: config.packSize,
    compressionLevel: config.compressionLevel,
  };
}
