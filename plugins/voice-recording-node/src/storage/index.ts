export * from './BlobStore';
export * from './fileCalls';
export * from './KeyEncryptionKeys';
export * from './EncryptedBlobStore';
export * from './rewrapDataKeys';
export * from './encryptionConfig';
