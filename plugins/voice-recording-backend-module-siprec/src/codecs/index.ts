export * from './g711';
export { G722Decoder, G722Encoder } from './g722';
