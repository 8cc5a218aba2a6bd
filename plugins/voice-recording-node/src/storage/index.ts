export * from './BlobStore';
export * from './fileCalls';
