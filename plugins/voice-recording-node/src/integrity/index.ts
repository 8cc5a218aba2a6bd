export * from './RecordingSigner';
