/**
 * Isomorphic types, permissions and domain rules of the voice-recording plugin suite.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export * from './slots';
export * from './phone';
export * from './recordingDecision';
export * from './bulkCsv';
export * from './csvCell';
export * from './settingsRules';
export * from './conversations';
export * from './cases';
export * from './fourEyes';
export * from './recordingHealth';
export * from './coverage';
export * from './compliance';
export * from './integrity';
export * from './retention';
export * from './archiveJobs';
