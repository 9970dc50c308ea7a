/**
 * A small local KMS endpoint speaking the AWS JSON 1.1 protocol (`X-Amz-Target: TrentService.<Op>`),
 * so the real `@aws-sdk/client-kms` adapters run unchanged on a laptop (no KMS emulator exists).
 * Dev tooling only: it never runs in the cloud.
 *
 * Faithful where our code depends on it:
 * - ciphertext blobs are AES-256-GCM under the key's material with the canonicalised
 *   EncryptionContext as additional data, and carry the key id, so Decrypt works without KeyId;
 *   a wrong context or a garbled blob is `InvalidCiphertextException`, as in AWS;
 * - errors are `400 {"__type": "<Name>", "message": "…"}`, which the SDK turns into its typed
 *   exceptions (NotFoundException, IncorrectKeyException, KMSInvalidStateException, …);
 * - signatures are ECDSA P-256 / SHA-256 in DER, like KMS (`MessageType` RAW or DIGEST). RAW
 *   messages are signed by node:crypto. DIGEST cannot be: node:crypto (and WebCrypto) always hash
 *   what they sign — `crypto.sign(null, digest, ecKey)` signs SHA-256(digest) — so a digest the
 *   caller computed is signed by @noble/curves (audited, `prehash: false`), not by our own maths.
 * Not faithful: requests are not authenticated (SigV4 signatures are not checked — any dummy
 * credentials work), there are no key policies, grants or quotas, and blobs are not compatible
 * with real KMS ones.
 *
 * Key material persists in `stateFile` (created if missing), so restarting the local stack keeps
 * every wrapped data key, and so every sealed field, readable.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { listen } from './free-port.ts';
import { p256 } from '@noble/curves/nist.js';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const MAX_BODY_BYTES = 1024 * 1024;
/** AWS limits for Encrypt plaintext and Sign/Verify messages. */
const MAX_MESSAGE_BYTES = 4096;
const BLOB_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export const FIELD_KEY_ALIAS = 'alias/custos-fields';
export const AUDIT_SIGNING_KEY_ALIAS = 'alias/custos-audit-signing';

type KeySpec = 'SYMMETRIC_DEFAULT' | 'ECC_NIST_P256';
type KeyUsage = 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY';
type KeyState = 'Enabled' | 'PendingDeletion';

interface StoredKey {
  readonly keyId: string;
  readonly description: string;
  readonly keySpec: KeySpec;
  readonly keyUsage: KeyUsage;
  /** Symmetric: 32 bytes base64. ECC: the private key as PKCS#8 PEM. */
  readonly material: string;
  /** Epoch seconds, as the JSON protocol carries timestamps. */
  readonly creationDate: number;
  state: KeyState;
  deletionDate?: number;
}

interface State {
  readonly version: 1;
  readonly keys: StoredKey[];
  /** `alias/<name>` → key id. */
  readonly aliases: Record<string, string>;
}

/** An AWS-style service error: the SDK maps `__type` to its exception class. */
class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;

const arnOf = (keyId: string): string => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;

function loadState(stateFile: string | undefined): State {
  if (stateFile !== undefined && existsSync(stateFile)) {
    const parsed = JSON.parse(readFileSync(stateFile, 'utf8')) as State;
    if (parsed.version !== 1 || !Array.isArray(parsed.keys))
      throw new Error(`${stateFile} is not a local KMS state file`);
    return parsed;
  }
  return { version: 1, keys: [], aliases: {} };
}

function saveState(stateFile: string | undefined, state: State): void {
  if (stateFile === undefined) return;
  mkdirSync(dirname(stateFile), { recursive: true });
  // Write then rename, so a crash mid-write never leaves a half file that loses every key.
  const temporary = `${stateFile}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(temporary, stateFile);
}

function newKey(keySpec: KeySpec, description: string): StoredKey {
  const material =
    keySpec === 'SYMMETRIC_DEFAULT'
      ? randomBytes(32).toString('base64')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' })
          .privateKey.export({ format: 'pem', type: 'pkcs8' })
          .toString();
  return {
    keyId: randomUUID(),
    description,
    keySpec,
    keyUsage: keySpec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : 'SIGN_VERIFY',
    material,
    creationDate: Math.floor(Date.now() / 1000),
    state: 'Enabled',
  };
}

/** Creates the keys the product expects behind its aliases, unless the state already has them. */
function ensureProductKeys(state: State): boolean {
  const wanted: readonly [string, KeySpec, string][] = [
    [FIELD_KEY_ALIAS, 'SYMMETRIC_DEFAULT', 'Custos field encryption (wraps per-organization data keys)'],
    [AUDIT_SIGNING_KEY_ALIAS, 'ECC_NIST_P256', 'Custos audit digest signing'],
  ];
  let changed = false;
  for (const [alias, keySpec, description] of wanted) {
    if (state.aliases[alias] !== undefined) continue;
    const key = newKey(keySpec, description);
    state.keys.push(key);
    state.aliases[alias] = key.keyId;
    changed = true;
  }
  return changed;
}

// ---- request fields -------------------------------------------------------------------------

function requiredString(body: Body, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '')
    throw new KmsError(
      'ValidationException',
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
}

function optionalString(body: Body, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new KmsError('SerializationException', `${name} must be a string`);
  return value;
}

function blob(body: Body, name: string, maxBytes: number): Buffer {
  const value = requiredString(body, name);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0)
    throw new KmsError('SerializationException', `${name} is not valid base64`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length === 0 || bytes.length > maxBytes) {
    throw new KmsError(
      'ValidationException',
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must have length between 1 and ${maxBytes}`,
    );
  }
  return bytes;
}

/** The EncryptionContext as additional data: entries sorted by key, so key order never matters. */
function canonicalContext(body: Body): Buffer {
  const context = body.EncryptionContext;
  if (context === undefined || context === null) return Buffer.alloc(0);
  if (typeof context !== 'object' || Array.isArray(context))
    throw new KmsError('SerializationException', 'EncryptionContext must be a map');
  const entries = Object.entries(context as Record<string, unknown>);
  for (const [, value] of entries) {
    if (typeof value !== 'string')
      throw new KmsError('SerializationException', 'EncryptionContext values must be strings');
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), 'utf8');
}

// ---- the service ----------------------------------------------------------------------------

class LocalKms {
  constructor(
    private readonly state: State,
    private readonly stateFile: string | undefined,
  ) {}

  /** Resolves a key id, key ARN, alias name or alias ARN, as KMS does. */
  private find(reference: string): StoredKey {
    const aliasName = reference.startsWith('alias/')
      ? reference
      : /^arn:aws:kms:[^:]*:[^:]*:(alias\/.+)$/.exec(reference)?.[1];
    const keyId =
      aliasName !== undefined
        ? this.state.aliases[aliasName]
        : (/^arn:aws:kms:[^:]*:[^:]*:key\/(.+)$/.exec(reference)?.[1] ?? reference);
    const key =
      keyId === undefined ? undefined : this.state.keys.find((candidate) => candidate.keyId === keyId);
    if (key === undefined) {
      throw new KmsError(
        'NotFoundException',
        aliasName !== undefined ? `Alias ${aliasName} is not found.` : `Key '${reference}' does not exist`,
      );
    }
    return key;
  }

  private usable(reference: string, usage: KeyUsage): StoredKey {
    const key = this.find(reference);
    if (key.state !== 'Enabled')
      throw new KmsError('KMSInvalidStateException', `${arnOf(key.keyId)} is pending deletion.`);
    if (key.keyUsage !== usage)
      throw new KmsError(
        'InvalidKeyUsageException',
        `${arnOf(key.keyId)} key usage is ${key.keyUsage} which is not valid for this operation.`,
      );
    return key;
  }

  /** version | key id length | key id | iv | tag | ciphertext; the header is authenticated too. */
  private seal(key: StoredKey, plaintext: Buffer, context: Buffer): Buffer {
    const keyId = Buffer.from(key.keyId, 'utf8');
    const header = Buffer.concat([Buffer.of(BLOB_VERSION, keyId.length), keyId]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(key.material, 'base64'), iv);
    cipher.setAAD(Buffer.concat([header, context]));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
  }

  private unseal(
    blobBytes: Buffer,
    context: Buffer,
    expectedKeyReference: string | undefined,
  ): { key: StoredKey; plaintext: Buffer } {
    const invalid = (): KmsError => new KmsError('InvalidCiphertextException', '');
    const keyIdLength = blobBytes[1];
    if (
      blobBytes[0] !== BLOB_VERSION ||
      keyIdLength === undefined ||
      blobBytes.length < 2 + keyIdLength + IV_BYTES + TAG_BYTES
    )
      throw invalid();
    const headerEnd = 2 + keyIdLength;
    const key = this.find(blobBytes.subarray(2, headerEnd).toString('utf8'));
    if (expectedKeyReference !== undefined && this.find(expectedKeyReference).keyId !== key.keyId) {
      throw new KmsError(
        'IncorrectKeyException',
        'The key ID in the request does not identify a CMK that can perform this operation.',
      );
    }
    this.usable(key.keyId, 'ENCRYPT_DECRYPT');
    const iv = blobBytes.subarray(headerEnd, headerEnd + IV_BYTES);
    const tag = blobBytes.subarray(headerEnd + IV_BYTES, headerEnd + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key.material, 'base64'), iv);
      decipher.setAAD(Buffer.concat([blobBytes.subarray(0, headerEnd), context]));
      decipher.setAuthTag(tag);
      return {
        key,
        plaintext: Buffer.concat([
          decipher.update(blobBytes.subarray(headerEnd + IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]),
      };
    } catch {
      throw invalid();
    }
  }

  private dataKeyLength(body: Body): number {
    const keySpec = optionalString(body, 'KeySpec');
    const numberOfBytes = body.NumberOfBytes;
    if ((keySpec === undefined) === (numberOfBytes === undefined || numberOfBytes === null)) {
      throw new KmsError('ValidationException', 'Please specify either number of bytes or key spec.');
    }
    if (keySpec === 'AES_256') return 32;
    if (keySpec === 'AES_128') return 16;
    if (keySpec !== undefined)
      throw new KmsError(
        'ValidationException',
        `1 validation error detected: Value '${keySpec}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]`,
      );
    if (
      typeof numberOfBytes !== 'number' ||
      !Number.isInteger(numberOfBytes) ||
      numberOfBytes < 1 ||
      numberOfBytes > 1024
    ) {
      throw new KmsError(
        'ValidationException',
        "1 validation error detected: Value at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024",
      );
    }
    return numberOfBytes;
  }

  private signingKey(body: Body): { key: StoredKey; message: Buffer; isDigest: boolean } {
    const key = this.usable(requiredString(body, 'KeyId'), 'SIGN_VERIFY');
    const algorithm = requiredString(body, 'SigningAlgorithm');
    if (algorithm !== 'ECDSA_SHA_256')
      throw new KmsError(
        'InvalidKeyUsageException',
        `Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.`,
      );
    const messageType = optionalString(body, 'MessageType') ?? 'RAW';
    if (messageType !== 'RAW' && messageType !== 'DIGEST')
      throw new KmsError(
        'ValidationException',
        `Value '${messageType}' at 'messageType' failed to satisfy constraint: Member must satisfy enum value set: [DIGEST, RAW]`,
      );
    const message = blob(body, 'Message', MAX_MESSAGE_BYTES);
    if (messageType === 'DIGEST' && message.length !== 32)
      throw new KmsError('ValidationException', 'Digest is invalid length for algorithm ECDSA_SHA_256.');
    return { key, message, isDigest: messageType === 'DIGEST' };
  }

  private keyMetadata(key: StoredKey): Body {
    const symmetric = key.keySpec === 'SYMMETRIC_DEFAULT';
    return {
      AWSAccountId: ACCOUNT,
      KeyId: key.keyId,
      Arn: arnOf(key.keyId),
      CreationDate: key.creationDate,
      Enabled: key.state === 'Enabled',
      Description: key.description,
      KeyUsage: key.keyUsage,
      KeyState: key.state,
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: key.keySpec,
      KeySpec: key.keySpec,
      MultiRegion: false,
      ...(symmetric
        ? { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] }
        : { SigningAlgorithms: ['ECDSA_SHA_256'] }),
      ...(key.deletionDate !== undefined ? { DeletionDate: key.deletionDate } : {}),
    };
  }

  handle(operation: string, body: Body): Body {
    switch (operation) {
      case 'GenerateDataKey':
      case 'GenerateDataKeyWithoutPlaintext': {
        const key = this.usable(requiredString(body, 'KeyId'), 'ENCRYPT_DECRYPT');
        const plaintext = randomBytes(this.dataKeyLength(body));
        const CiphertextBlob = this.seal(key, plaintext, canonicalContext(body)).toString('base64');
        return operation === 'GenerateDataKey'
          ? { KeyId: arnOf(key.keyId), CiphertextBlob, Plaintext: plaintext.toString('base64') }
          : { KeyId: arnOf(key.keyId), CiphertextBlob };
      }
      case 'Encrypt': {
        const key = this.usable(requiredString(body, 'KeyId'), 'ENCRYPT_DECRYPT');
        const plaintext = blob(body, 'Plaintext', MAX_MESSAGE_BYTES);
        return {
          KeyId: arnOf(key.keyId),
          CiphertextBlob: this.seal(key, plaintext, canonicalContext(body)).toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      }
      case 'Decrypt': {
        const { key, plaintext } = this.unseal(
          blob(body, 'CiphertextBlob', 6144),
          canonicalContext(body),
          optionalString(body, 'KeyId'),
        );
        return {
          KeyId: arnOf(key.keyId),
          Plaintext: plaintext.toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        };
      }
      case 'Sign': {
        const { key, message, isDigest } = this.signingKey(body);
        const privateKey = createPrivateKey(key.material);
        const signature = isDigest
          ? Buffer.from(p256.sign(message, jwkBytes(privateKey, 'd'), { prehash: false, format: 'der' }))
          : sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
        return {
          KeyId: arnOf(key.keyId),
          Signature: signature.toString('base64'),
          SigningAlgorithm: 'ECDSA_SHA_256',
        };
      }
      case 'Verify': {
        const { key, message, isDigest } = this.signingKey(body);
        const signature = blob(body, 'Signature', 6144);
        const publicKey = createPublicKey(key.material);
        const valid = isDigest
          ? // KMS signatures need not have a low s: accept both halves, as KMS's own Verify does.
            p256.verify(
              signature,
              message,
              Buffer.concat([Buffer.of(4), jwkBytes(publicKey, 'x'), jwkBytes(publicKey, 'y')]),
              { prehash: false, format: 'der', lowS: false },
            )
          : verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, signature);
        // KMS answers an invalid signature with an error, not with SignatureValid: false.
        if (!valid) throw new KmsError('KMSInvalidSignatureException', '');
        return { KeyId: arnOf(key.keyId), SignatureValid: true, SigningAlgorithm: 'ECDSA_SHA_256' };
      }
      case 'GetPublicKey': {
        const key = this.find(requiredString(body, 'KeyId'));
        if (key.keySpec === 'SYMMETRIC_DEFAULT')
          throw new KmsError(
            'UnsupportedOperationException',
            `${arnOf(key.keyId)} key usage is ENCRYPT_DECRYPT which is not valid for GetPublicKey.`,
          );
        if (key.state !== 'Enabled')
          throw new KmsError('KMSInvalidStateException', `${arnOf(key.keyId)} is pending deletion.`);
        const publicKey = createPublicKey(key.material).export({ format: 'der', type: 'spki' });
        return {
          KeyId: arnOf(key.keyId),
          PublicKey: publicKey.toString('base64'),
          CustomerMasterKeySpec: key.keySpec,
          KeySpec: key.keySpec,
          KeyUsage: key.keyUsage,
          SigningAlgorithms: ['ECDSA_SHA_256'],
        };
      }
      case 'DescribeKey':
        return { KeyMetadata: this.keyMetadata(this.find(requiredString(body, 'KeyId'))) };
      case 'ScheduleKeyDeletion': {
        const key = this.find(requiredString(body, 'KeyId'));
        const days = body.PendingWindowInDays ?? 30;
        if (typeof days !== 'number' || !Number.isInteger(days) || days < 7 || days > 30) {
          throw new KmsError(
            'ValidationException',
            "1 validation error detected: Value at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30",
          );
        }
        if (key.state !== 'Enabled')
          throw new KmsError('KMSInvalidStateException', `${arnOf(key.keyId)} is pending deletion.`);
        key.state = 'PendingDeletion';
        key.deletionDate = Math.floor(Date.now() / 1000) + days * 86400;
        saveState(this.stateFile, this.state);
        return {
          KeyId: arnOf(key.keyId),
          DeletionDate: key.deletionDate,
          KeyState: key.state,
          PendingWindowInDays: days,
        };
      }
      default:
        throw new KmsError('UnknownOperationException', '');
    }
  }
}

function jwkBytes(key: KeyObject, member: 'd' | 'x' | 'y'): Buffer {
  const value = key.export({ format: 'jwk' })[member];
  if (value === undefined) throw new Error(`The key has no JWK member ${member}`);
  return Buffer.from(value, 'base64url');
}

// ---- HTTP -----------------------------------------------------------------------------------

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new KmsError('ValidationException', 'Request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function respond(response: ServerResponse, status: number, body: Body, errorType?: string): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...(errorType !== undefined ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(payload);
}

async function serve(kms: LocalKms, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    const target = request.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith('TrentService.')
        ? target.slice('TrentService.'.length)
        : undefined;
    if (request.method !== 'POST' || operation === undefined)
      throw new KmsError('UnknownOperationException', '');
    const text = await readBody(request);
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new KmsError('SerializationException', 'Start of structure or map found where not expected.');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new KmsError('SerializationException', 'The request body must be a JSON object.');
    respond(response, 200, kms.handle(operation, body as Body));
  } catch (error) {
    if (error instanceof KmsError) {
      respond(response, 400, { __type: error.type, message: error.message }, error.type);
      return;
    }
    // Not a client mistake: say so without internals, as KMS does.
    respond(response, 500, { __type: 'KMSInternalException', message: '' }, 'KMSInternalException');
  }
}

export interface KmsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the endpoint. `port: 0` picks a free port; `url` is the endpoint for the KMS client. */
export function startKmsServer(options: {
  port: number;
  host?: string;
  stateFile?: string;
}): Promise<KmsServer> {
  const host = options.host ?? '127.0.0.1';
  const state = loadState(options.stateFile);
  if (ensureProductKeys(state) || (options.stateFile !== undefined && !existsSync(options.stateFile)))
    saveState(options.stateFile, state);
  const kms = new LocalKms(state, options.stateFile);
  const server = createServer((request, response) => void serve(kms, request, response));
  return listen(server, options.port, host, 'local KMS');
}
