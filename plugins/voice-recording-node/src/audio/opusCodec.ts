/*
 * Frame-level Opus codecs behind OggOpusWriter / decodeOggOpus.
 *
 * WASM (always available): libopus 1.4 as compiled by the opusscript package, driven
 * directly through its emscripten module instead of opusscript's JS wrapper. The
 * wrapper creates typed-array views of the WASM heap once, in its constructor; when a
 * later allocation grows the heap (another encoder created, a larger decode) the
 * WebAssembly memory's ArrayBuffer is replaced and every older view is detached, so an
 * older encoder fails with "offset is out of bounds" (or reads zeros). The wrapper
 * also places its 16-bit views at twice the malloc'd byte address, outside its own
 * allocation. Here no view is ever kept: every call reads `HEAPU8`/`HEAPU16` from the
 * module at the moment it copies in or out (emscripten replaces them on growth), and
 * the scratch buffers are sized for the layout the native handler really uses.
 *
 * Native (optional): the package's own N-API binding of the system's libopus
 * (`native/mvr_opus.c`, built by scripts/build-native-opus.sh where libopus-dev is
 * installed; about half the CPU of the WASM build per frame), else `@discordjs/opus` when
 * installed. When one loads, encoding uses it; it produces the same packets' format (one
 * mono stream per channel). Where none is built (a fresh machine without libopus-dev, an
 * installed tarball) the WASM build encodes. Decoding stays on WASM (tests and playback
 * checks only). MVR_OPUS_IMPL=wasm forces WASM process-wide.
 */
import { resolvePackagePath } from '@backstage/backend-plugin-api';

/** Opus encoder CTL request numbers (opus_defines.h). */
export const OPUS_SET_APPLICATION = 4000;
export const OPUS_SET_BITRATE = 4002;
export const OPUS_SET_COMPLEXITY = 4010;
export const OPUS_SET_DTX = 4016;
export const OPUS_SET_VBR_CONSTRAINT = 4020;
export const OPUS_SET_SIGNAL = 4024;
export const OPUS_RESET_STATE = 4028;
export const OPUS_SIGNAL_VOICE = 3001;
export const OPUS_APPLICATION_VOIP = 2048;
/** CELT only (no SILK, no hybrid): 2.5 ms of lookahead instead of 6.5 ms */
export const OPUS_APPLICATION_RESTRICTED_LOWDELAY = 2051;

/** largest frame libopus handles: 120 ms at 48 kHz */
const MAX_FRAME_SAMPLES = 5760;
const MAX_PACKET_SIZE = 1276 * 3;

const OPUS_ERRORS: Record<number, string> = {
  [-1]: 'bad argument',
  [-2]: 'buffer too small',
  [-3]: 'internal error',
  [-4]: 'invalid packet',
  [-5]: 'unimplemented',
  [-6]: 'invalid state',
  [-7]: 'memory allocation failed',
};

export interface OpusEncoderSettings {
  sampleRate: number;
  bitrate: number;
  complexity: number;
  dtx?: boolean;
  /**
   * OPUS_APPLICATION_VOIP (default: SILK at these rates) or
   * OPUS_APPLICATION_RESTRICTED_LOWDELAY (CELT only); set before the first frame.
   */
  application?: number;
  /**
   * libopus' constrained VBR (its default, true) or unconstrained VBR (false): the CELT
   * layer spends its bits where the signal needs them, and on a continuous or noisy signal
   * the file stays below the target instead of above it (docs/recorder.md).
   */
  vbrConstraint?: boolean;
}

/** A mono Opus encoder: one 16-bit PCM frame in, one Opus packet out. */
export interface OpusFrameEncoder {
  readonly implementation: 'wasm' | 'native';
  encode(frame: Int16Array): Buffer;
  /** back to the state of a new encoder (same settings): after frames it did not see */
  reset(): void;
  delete(): void;
}

/** A mono Opus decoder: one packet in, 16-bit PCM out. */
export interface OpusFrameDecoder {
  decode(packet: Buffer): Int16Array;
  delete(): void;
}

interface OpusScriptHandler {
  _encode(
    input: number,
    bytes: number,
    output: number,
    frameSize: number,
  ): number;
  _decode(input: number, bytes: number, output: number): number;
  _encoder_ctl(ctl: number, arg: number): number;
  _decoder_ctl(ctl: number, arg: number): number;
}

interface OpusWasmModule {
  OpusScriptHandler: {
    new (
      sampleRate: number,
      channels: number,
      application: number,
    ): OpusScriptHandler;
    destroy_handler(handler: OpusScriptHandler): void;
  };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  /** replaced by emscripten whenever the memory grows: read it at each use */
  HEAPU8: Uint8Array;
  HEAPU16: Uint16Array;
}

let wasmModule: OpusWasmModule | undefined;

function opusWasm(): OpusWasmModule {
  if (!wasmModule) {
    // emscripten factory; in Node it instantiates the module synchronously
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const factory =
      require('opusscript/build/opusscript_native_wasm.js') as () => OpusWasmModule;
    wasmModule = factory();
  }
  return wasmModule;
}

/** Current size of the WASM heap in bytes (grows, never shrinks; for tests and metrics). */
export function opusWasmHeapBytes(): number {
  return opusWasm().HEAPU8.byteLength;
}

function check(result: number, what: string): number {
  if (result < 0)
    throw new Error(
      `Opus ${what} failed: ${OPUS_ERRORS[result] ?? `error ${result}`}`,
    );
  return result;
}

/**
 * One opusscript handler (libopus encoder + decoder state, mono) with its scratch
 * memory. The native handler takes 16-bit PCM spread one byte per 16-bit slot
 * (low, high) and converts it in place, and returns decoded PCM the same way, so
 * the PCM scratch holds 2 slots (4 bytes) per sample.
 */
class WasmOpusHandle {
  private readonly m = opusWasm();
  private handler: OpusScriptHandler | undefined;
  private readonly pcmPtr: number;
  private readonly packetPtr: number;

  constructor(sampleRate: number) {
    this.handler = new this.m.OpusScriptHandler(
      sampleRate,
      1,
      OPUS_APPLICATION_VOIP,
    );
    this.pcmPtr = this.m._malloc(MAX_FRAME_SAMPLES * 4);
    this.packetPtr = this.m._malloc(MAX_PACKET_SIZE);
    if (!this.pcmPtr || !this.packetPtr) {
      this.delete();
      throw new Error('Opus (WASM): out of memory for the codec buffers');
    }
  }

  private live(): OpusScriptHandler {
    if (!this.handler) throw new Error('Opus (WASM) codec used after delete()');
    return this.handler;
  }

  encoderCtl(ctl: number, arg: number): void {
    check(this.live()._encoder_ctl(ctl, arg), `encoder CTL ${ctl}`);
  }

  encode(frame: Int16Array): Buffer {
    const handler = this.live();
    if (frame.length > MAX_FRAME_SAMPLES)
      throw new RangeError(`Opus frame of ${frame.length} samples is too long`);
    const slots = this.m.HEAPU16; // current view: taken after any growth
    const base = this.pcmPtr >> 1;
    for (let i = 0; i < frame.length; i++) {
      const s = frame[i];
      slots[base + 2 * i] = s & 0xff;
      slots[base + 2 * i + 1] = (s >> 8) & 0xff;
    }
    // `bytes` drives the in-place conversion loop: one iteration per sample
    const len = check(
      handler._encode(this.pcmPtr, frame.length, this.packetPtr, frame.length),
      'encode',
    );
    // the call may have grown the memory: read the heap again
    return Buffer.from(
      this.m.HEAPU8.subarray(this.packetPtr, this.packetPtr + len),
    );
  }

  decode(packet: Buffer): Int16Array {
    const handler = this.live();
    if (packet.length > MAX_PACKET_SIZE)
      throw new RangeError(`Opus packet of ${packet.length} bytes is too long`);
    this.m.HEAPU8.set(packet, this.packetPtr);
    const samples = check(
      handler._decode(this.packetPtr, packet.length, this.pcmPtr),
      'decode',
    );
    const slots = this.m.HEAPU16;
    const base = this.pcmPtr >> 1;
    const out = new Int16Array(samples);
    for (let i = 0; i < samples; i++)
      out[i] = (slots[base + 2 * i + 1] << 8) | slots[base + 2 * i];
    return out;
  }

  delete(): void {
    if (this.handler) this.m.OpusScriptHandler.destroy_handler(this.handler);
    this.handler = undefined;
    if (this.pcmPtr) this.m._free(this.pcmPtr);
    if (this.packetPtr) this.m._free(this.packetPtr);
  }
}

class WasmOpusEncoder implements OpusFrameEncoder {
  readonly implementation = 'wasm' as const;
  private readonly h: WasmOpusHandle;
  constructor(s: OpusEncoderSettings) {
    this.h = new WasmOpusHandle(s.sampleRate);
    try {
      this.h.encoderCtl(OPUS_SET_BITRATE, s.bitrate);
      this.h.encoderCtl(OPUS_SET_COMPLEXITY, s.complexity);
      this.h.encoderCtl(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
      if (s.dtx) this.h.encoderCtl(OPUS_SET_DTX, 1);
      if (s.application !== undefined && s.application !== OPUS_APPLICATION_VOIP)
        this.h.encoderCtl(OPUS_SET_APPLICATION, s.application);
      if (s.vbrConstraint === false) this.h.encoderCtl(OPUS_SET_VBR_CONSTRAINT, 0);
    } catch (e) {
      this.h.delete();
      throw e;
    }
  }
  encode(frame: Int16Array): Buffer {
    return this.h.encode(frame);
  }
  reset(): void {
    this.h.encoderCtl(OPUS_RESET_STATE, 0);
  }
  delete(): void {
    this.h.delete();
  }
}

class WasmOpusDecoder implements OpusFrameDecoder {
  private readonly h: WasmOpusHandle;
  constructor(sampleRate: number) {
    this.h = new WasmOpusHandle(sampleRate);
  }
  decode(packet: Buffer): Int16Array {
    return this.h.decode(packet);
  }
  delete(): void {
    this.h.delete();
  }
}

/** The subset of @discordjs/opus used here. */
interface NativeOpusEncoderClass {
  new (rate: number, channels: number): {
    encode(buf: Buffer): Buffer;
    applyEncoderCTL(ctl: number, value: number): void;
    setBitrate(bitrate: number): void;
  };
}

/** The package's own binding (native/mvr_opus.c). */
interface MvrOpusAddon {
  Encoder: new (sampleRate: number, application: number) => {
    ctl(request: number, value: number): void;
    encode(frame: Int16Array): Buffer;
    close(): void;
  };
  version(): string;
}

/** Where scripts/build-native-opus.sh puts the addon: the package's `native/build` (absent from its tarball). */
export const NATIVE_OPUS_ADDON = 'native/build/Release/mvr_opus.node';

function nativeOpusAddonPath(): string {
  return resolvePackagePath('@mvr/plugin-voice-recording-node', NATIVE_OPUS_ADDON);
}

let mvrOpus: MvrOpusAddon | null | undefined;

/** The package's libopus binding when it was built and loads, else null. */
export function mvrOpusAddon(): MvrOpusAddon | null {
  if (mvrOpus === undefined) {
    mvrOpus = null;
    if (process.env.MVR_OPUS_IMPL !== 'wasm') {
      try {
        // a file built on this machine, not a module: loaded by path
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        mvrOpus = require(nativeOpusAddonPath()) as MvrOpusAddon;
      } catch {
        mvrOpus = null;
      }
    }
  }
  return mvrOpus;
}

let nativeOpus: NativeOpusEncoderClass | null | undefined;

/** @discordjs/opus' encoder class, or null when it is not installed or does not load. */
export function nativeOpusEncoder(): NativeOpusEncoderClass | null {
  if (nativeOpus === undefined) {
    nativeOpus = null;
    if (process.env.MVR_OPUS_IMPL !== 'wasm') {
      try {
        // an optionalDependency (native build), which the Backstage rule does not know
        // eslint-disable-next-line @typescript-eslint/no-require-imports, @backstage/no-undeclared-imports
        const addon = require('@discordjs/opus') as {
          OpusEncoder: NativeOpusEncoderClass;
        };
        nativeOpus = addon.OpusEncoder;
      } catch {
        nativeOpus = null;
      }
    }
  }
  return nativeOpus;
}

/** Which libopus encodes when 'auto' is asked: for logs and benchmarks. */
export function opusEncoderImplementation(): string {
  const own = mvrOpusAddon();
  if (own) return `native (${own.version()}, ${nativeOpusAddonPath()})`;
  if (nativeOpus !== null && nativeOpusEncoder()) return 'native (@discordjs/opus)';
  return 'wasm (opusscript, libopus 1.4)';
}

/** The package's binding was built from an older mvr_opus.c (a request it does not know). */
class StaleOpusAddonError extends Error {
  constructor(cause: unknown) {
    super(
      `the native libopus binding (${NATIVE_OPUS_ADDON}) predates this package's native/mvr_opus.c: run scripts/build-native-opus.sh (${(cause as Error).message})`,
    );
    this.name = 'StaleOpusAddonError';
  }
}

class MvrOpusFrameEncoder implements OpusFrameEncoder {
  readonly implementation = 'native' as const;
  private enc: InstanceType<MvrOpusAddon['Encoder']> | undefined;
  constructor(addon: MvrOpusAddon, s: OpusEncoderSettings) {
    this.enc = new addon.Encoder(s.sampleRate, s.application ?? OPUS_APPLICATION_VOIP);
    this.enc.ctl(OPUS_SET_BITRATE, s.bitrate);
    this.enc.ctl(OPUS_SET_COMPLEXITY, s.complexity);
    this.enc.ctl(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
    if (s.dtx) this.enc.ctl(OPUS_SET_DTX, 1);
    if (s.vbrConstraint === false) {
      try {
        this.enc.ctl(OPUS_SET_VBR_CONSTRAINT, 0);
      } catch (e) {
        this.enc.close();
        this.enc = undefined;
        throw new StaleOpusAddonError(e);
      }
    }
  }
  private live() {
    if (!this.enc) throw new Error('Opus (native) encoder used after delete()');
    return this.enc;
  }
  encode(frame: Int16Array): Buffer {
    return this.live().encode(frame);
  }
  reset(): void {
    this.live().ctl(OPUS_RESET_STATE, 0);
  }
  delete(): void {
    this.enc?.close();
    this.enc = undefined;
  }
}

class NativeOpusFrameEncoder implements OpusFrameEncoder {
  readonly implementation = 'native' as const;
  private enc: InstanceType<NativeOpusEncoderClass> | undefined;
  constructor(Encoder: NativeOpusEncoderClass, s: OpusEncoderSettings) {
    // @discordjs/opus creates its encoder with OPUS_APPLICATION_AUDIO: switch it to
    // VOIP (allowed before the first frame) so both implementations code alike
    this.enc = new Encoder(s.sampleRate, 1);
    this.enc.applyEncoderCTL(OPUS_SET_APPLICATION, s.application ?? OPUS_APPLICATION_VOIP);
    this.enc.setBitrate(s.bitrate);
    this.enc.applyEncoderCTL(OPUS_SET_COMPLEXITY, s.complexity);
    this.enc.applyEncoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
    if (s.dtx) this.enc.applyEncoderCTL(OPUS_SET_DTX, 1);
    if (s.vbrConstraint === false) this.enc.applyEncoderCTL(OPUS_SET_VBR_CONSTRAINT, 0);
  }
  encode(frame: Int16Array): Buffer {
    if (!this.enc) throw new Error('Opus (native) encoder used after delete()');
    return this.enc.encode(
      Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength),
    );
  }
  reset(): void {
    this.enc?.applyEncoderCTL(OPUS_RESET_STATE, 0);
  }
  delete(): void {
    this.enc = undefined; // freed by the addon's finalizer
  }
}

export type OpusImplementation = 'auto' | 'wasm' | 'native';

let staleAddonWarned = false;

/** A mono encoder: native libopus when available (or required), WASM otherwise. */
export function createOpusEncoder(
  s: OpusEncoderSettings,
  impl: OpusImplementation = 'auto',
): OpusFrameEncoder {
  if (impl !== 'wasm') {
    const own = mvrOpusAddon();
    if (own) {
      try {
        return new MvrOpusFrameEncoder(own, s);
      } catch (e) {
        // a binding built before a setting it now needs: the WASM build codes the same stream
        if (!(e instanceof StaleOpusAddonError) || impl === 'native') throw e;
        if (!staleAddonWarned) {
          staleAddonWarned = true;
          process.emitWarning(`${e.message}; encoding with the WASM build meanwhile`);
        }
        return new WasmOpusEncoder(s);
      }
    }
    const Native = nativeOpusEncoder();
    if (Native) return new NativeOpusFrameEncoder(Native, s);
    if (impl === 'native') {
      throw new Error(
        `native Opus encoder requested but neither the package's ${NATIVE_OPUS_ADDON} (scripts/build-native-opus.sh) nor @discordjs/opus loads`,
      );
    }
  }
  return new WasmOpusEncoder(s);
}

export function createOpusDecoder(sampleRate: number): OpusFrameDecoder {
  return new WasmOpusDecoder(sampleRate);
}
