/*
 * Key-encryption keys (KEKs) for the recording archive's encryption at rest
 * (docs/encryption.md). Every stored file has its own random data key; the data key is
 * wrapped by a KEK named by its key id. The interface lets a KMS hold the KEKs; the
 * config implementation holds them in memory (from config or key files).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';

/** A data key wrapped by a key-encryption key. */
export interface WrappedDataKey {
  keyId: string;
  /** opaque to the store; at most MAX_WRAPPED_KEY_BYTES bytes */
  wrapped: Buffer;
}

/**
 * Key-encryption keys: wraps per-file data keys with the active key, unwraps them with
 * the key that wrapped them. `context` is bound to the wrapped key (AES-GCM AAD, or a
 * KMS encryption context): unwrap with another context fails.
 */
export interface KeyEncryptionKeys {
  /** the key that wraps new data keys */
  readonly activeKeyId: string;
  /** every key id this provider can unwrap with */
  readonly keyIds: readonly string[];
  wrap(dataKey: Buffer, context: Buffer): Promise<WrappedDataKey>;
  /** throws EncryptionKeyError naming the key id when the key is unknown or wrong */
  unwrap(keyId: string, wrapped: Buffer, context: Buffer): Promise<Buffer>;
}

/** A key is missing, unknown or wrong: the message names the key id. */
export class EncryptionKeyError extends Error {
  constructor(message: string, readonly keyId: string | undefined) {
    super(message);
    this.name = 'EncryptionKeyError';
  }
}

/** Key ids: 1-64 characters, letters, digits, `_ . -`, starting with a letter or digit. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function validateKeyId(keyId: string): void {
  if (typeof keyId !== 'string' || !KEY_ID_PATTERN.test(keyId)) {
    throw new EncryptionKeyError(
      `Invalid encryption key id ${JSON.stringify(keyId)}: it must match ${KEY_ID_PATTERN}`,
      undefined,
    );
  }
}

const WRAP_LABEL = Buffer.from('mvr-data-key-v1\0', 'ascii');

/** Raw key material, exportable to an encoder worker thread of the same process. */
export interface RawKeyMaterial {
  activeKeyId: string;
  /** [key id, base64 of the 32-byte key] */
  keys: Array<[string, string]>;
}

/**
 * KEKs held in memory: each a 32-byte AES-256 key. Wrapping is AES-256-GCM with a
 * random 12-byte nonce; the wrapped key is nonce (12) ‖ ciphertext (32) ‖ tag (16)
 * = 60 bytes, with AAD "mvr-data-key-v1\0" ‖ key id ‖ 0x00 ‖ context.
 */
export class StaticKeyEncryptionKeys implements KeyEncryptionKeys {
  private readonly keys: Map<string, Buffer>;
  readonly activeKeyId: string;

  constructor(keys: Iterable<[string, Buffer]>, activeKeyId: string) {
    this.keys = new Map();
    for (const [id, key] of keys) {
      validateKeyId(id);
      if (key.length !== 32) {
        throw new EncryptionKeyError(`Encryption key ${JSON.stringify(id)} must be 32 bytes (AES-256), got ${key.length}`, id);
      }
      if (this.keys.has(id)) throw new EncryptionKeyError(`Encryption key id ${JSON.stringify(id)} is configured twice`, id);
      this.keys.set(id, Buffer.from(key));
    }
    if (!this.keys.has(activeKeyId)) {
      throw new EncryptionKeyError(
        `The active encryption key ${JSON.stringify(activeKeyId)} is not among the configured keys (${[...this.keys.keys()].join(', ') || 'none'})`,
        activeKeyId,
      );
    }
    this.activeKeyId = activeKeyId;
  }

  static fromRaw(raw: RawKeyMaterial): StaticKeyEncryptionKeys {
    return new StaticKeyEncryptionKeys(
      raw.keys.map(([id, b64]) => [id, Buffer.from(b64, 'base64')] as [string, Buffer]),
      raw.activeKeyId,
    );
  }

  get keyIds(): readonly string[] {
    return [...this.keys.keys()];
  }

  /** for an encoder worker thread of this process (never log or send elsewhere) */
  exportRaw(): RawKeyMaterial {
    return { activeKeyId: this.activeKeyId, keys: [...this.keys].map(([id, k]) => [id, k.toString('base64')]) };
  }

  private aad(keyId: string, context: Buffer): Buffer {
    return Buffer.concat([WRAP_LABEL, Buffer.from(keyId, 'ascii'), Buffer.alloc(1), context]);
  }

  async wrap(dataKey: Buffer, context: Buffer): Promise<WrappedDataKey> {
    return this.wrapSync(dataKey, context);
  }

  wrapSync(dataKey: Buffer, context: Buffer): WrappedDataKey {
    const keyId = this.activeKeyId;
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.keys.get(keyId)!, nonce);
    c.setAAD(this.aad(keyId, context));
    const ct = Buffer.concat([c.update(dataKey), c.final()]);
    return { keyId, wrapped: Buffer.concat([nonce, ct, c.getAuthTag()]) };
  }

  async unwrap(keyId: string, wrapped: Buffer, context: Buffer): Promise<Buffer> {
    const kek = this.keys.get(keyId);
    if (!kek) {
      throw new EncryptionKeyError(
        `Encryption key ${JSON.stringify(keyId)} is not configured (voiceRecording.encryption.keys has ${this.keyIds.join(', ') || 'none'})`,
        keyId,
      );
    }
    if (wrapped.length !== 60) {
      throw new EncryptionKeyError(`The data key wrapped by ${JSON.stringify(keyId)} has ${wrapped.length} bytes, expected 60`, keyId);
    }
    try {
      const d = createDecipheriv('aes-256-gcm', kek, wrapped.subarray(0, 12));
      d.setAAD(this.aad(keyId, context));
      d.setAuthTag(wrapped.subarray(44, 60));
      return Buffer.concat([d.update(wrapped.subarray(12, 44)), d.final()]);
    } catch {
      throw new EncryptionKeyError(
        `Encryption key ${JSON.stringify(keyId)} cannot unwrap this file's data key: the configured key is not the one that encrypted it, or the file header was altered`,
        keyId,
      );
    }
  }
}

/** One configured key: the key itself (base64) or a file holding it. */
export interface EncryptionKeyConfig {
  id: string;
  /** base64 of 32 bytes */
  key?: string;
  /** a file holding the key: 32 raw bytes, or their base64 text */
  keyFile?: string;
  /** create `keyFile` with a random key when it does not exist (the demo portal only) */
  createIfMissing?: boolean;
}

/** Decodes a key given as base64 text (or 32 raw bytes from a file). */
export function decodeKey(id: string, material: Buffer, where: string): Buffer {
  if (material.length === 32) return material;
  const text = material.toString('utf8').trim();
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/=_-]+$/.test(text)) {
    throw new EncryptionKeyError(
      `Encryption key ${JSON.stringify(id)} (${where}) must be 32 bytes as base64 (e.g. \`openssl rand -base64 32\`), got ${key.length} bytes`,
      id,
    );
  }
  return key;
}

/**
 * Reads a key file; with `createIfMissing` a missing file is created with a new random
 * key (atomically: a second process starting at the same time reads the first one's).
 * Returns the key and whether it was created.
 */
export function loadKeyFile(id: string, file: string, createIfMissing: boolean): { key: Buffer; created: boolean } {
  const path = nodePath.resolve(file);
  try {
    return { key: decodeKey(id, fs.readFileSync(path), `key file ${path}`), created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (e instanceof EncryptionKeyError) throw e;
      throw new EncryptionKeyError(`Cannot read encryption key ${JSON.stringify(id)} from ${path}: ${(e as Error).message}`, id);
    }
    if (!createIfMissing) {
      throw new EncryptionKeyError(`Encryption key ${JSON.stringify(id)} is missing: key file ${path} does not exist`, id);
    }
  }
  fs.mkdirSync(nodePath.dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  fs.writeFileSync(tmp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  const fd = fs.openSync(tmp, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  let created = true;
  try {
    fs.linkSync(tmp, path); // fails with EEXIST when another process made it first
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    created = false;
  } finally {
    fs.unlinkSync(tmp);
  }
  return { key: decodeKey(id, fs.readFileSync(path), `key file ${path}`), created };
}
