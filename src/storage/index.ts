export {
  assertBlobKey,
  type BlobInfo,
  BlobNotFoundError,
  BlobRangeError,
  type BlobStore,
  type BlobUpload,
  type GetOptions,
  InvalidBlobKeyError,
  StorageError,
} from './blob-store.ts';
export { FsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.ts';
export { S3BlobStore, type S3BlobStoreOptions, S3StoreError } from './s3-blob-store.ts';
