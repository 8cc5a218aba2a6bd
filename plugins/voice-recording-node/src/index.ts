/**
 * Extension points and shared contracts for modules of the voice-recording backend.
 *
 * @packageDocumentation
 */
export * from './notifiers';
export * from './events';
export * from './capture';
export * from './permissions';
export * from './policy';
export * from './storage';
export * from './audio';
export * from './sipIdentifier';
export * from './integrity';
export * from './archiveJobs';
export * from './archiveJobWorker';
export * from './archiveCompression';
