export * from './BlobStore';
export * from './fileCalls';
export * from './S3BlobStore';
export * from './createBlobStoreFromConfig';
export * from './KeyEncryptionKeys';
export * from './EncryptedBlobStore';
export * from './rewrapDataKeys';
export * from './encryptionConfig';
