/*
 * Audio formats shared by the recorder (SIPREC module) and the portal (backend
 * plugin): Ogg pages, Ogg/Opus (two mono streams, mapping family 1), WAV.
 */
export * from './ogg';
export * from './opusFile';
export * from './wav';
export * from './g711';
export * from './opusEncoderPool';
export * from './wavToOpus';
export * from './peaks';
export { nativeOpusEncoder, mvrOpusAddon, opusEncoderImplementation, opusWasmHeapBytes } from './opusCodec';
export type { OpusImplementation } from './opusCodec';
export * from './speechActivity';
export * from './silenceGate';
