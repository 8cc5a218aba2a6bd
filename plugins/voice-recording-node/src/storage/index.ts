export * from './BlobStore';
