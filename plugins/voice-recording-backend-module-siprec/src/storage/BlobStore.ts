// Storage is a service of the voice-recording plugin family: the interface and the
// local-file implementation live in @mvr/plugin-voice-recording-node.
export {
  BlobNotFoundError,
  InvalidBlobKeyError,
  LocalFileBlobStore,
  StorageUnavailableError,
  fsyncDir,
  mkdirs,
  validateBlobKey,
} from '@mvr/plugin-voice-recording-node';
export type {
  BlobBody,
  BlobPutResult,
  BlobRange,
  BlobStat,
  BlobStore,
  LocalFileBlobStoreOptions,
  StorageHealth,
} from '@mvr/plugin-voice-recording-node';
