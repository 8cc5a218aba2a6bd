/*
 * The installation's Ed25519 signing key: signs recordings (content hash and
 * metadata), the audit trail's daily chain heads and export manifests. Anyone with
 * the public key can verify offline.
 */
import {
  KeyObject,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  verify as cryptoVerify,
} from 'node:crypto';

export interface RecordingSigner {
  /** Short, stable id of the key: first 16 hex digits of SHA-256 over its SPKI DER. */
  readonly keyId: string;
  /** SPKI PEM of the public key (what exports and `GET /signing/public-key` publish). */
  readonly publicKeyPem: string;
  /** Base64 Ed25519 signature over the bytes (a string is taken as UTF-8). */
  sign(data: Buffer | string): string;
  /** Whether the base64 signature is this key's over the bytes. */
  verify(data: Buffer | string, signature: string): boolean;
}

/** Key id of a public key: first 16 hex digits of SHA-256 over its SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/** Checks an Ed25519 signature with a public key only (offline verification). */
export function verifyEd25519(publicKeyPem: string, data: Buffer | string, signature: string): boolean {
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    return cryptoVerify(null, bytes, createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** A signer from a PKCS#8 PEM Ed25519 private key; throws naming the problem otherwise. */
export function createEd25519Signer(privateKeyPem: string): RecordingSigner {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch (e) {
    throw new Error(`The signing key is not a readable PEM private key: ${(e as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`The signing key must be an Ed25519 key, not ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  }
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keyId = keyIdOf(publicKey);
  return {
    keyId,
    publicKeyPem,
    sign(data) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      return cryptoSign(null, bytes, privateKey).toString('base64');
    },
    verify(data, signature) {
      return verifyEd25519(publicKeyPem, data, signature);
    },
  };
}

/** A new Ed25519 private key as PKCS#8 PEM. */
export function generateEd25519PrivateKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
