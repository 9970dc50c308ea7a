/**
 * The DigestSigner port on AWS KMS: an asymmetric ECC_NIST_P256 key signs the SHA-256 of each
 * digest (`MessageType: DIGEST`, ECDSA_SHA_256). Public keys are fetched once per key id and kept
 * for the life of the function: verifying thousands of digests then needs no KMS call per digest,
 * and the offline verifier uses the very same public key.
 */
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { DigestSigner } from '../../ports/audit.ts';
import { DIGEST_SIGNING_ALGORITHM } from '../../domain/audit-digest.ts';
import { kms } from './clients.ts';

export function pemOfSpki(der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN PUBLIC KEY-----\n${base64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END PUBLIC KEY-----\n`;
}

export class KmsDigestSigner implements DigestSigner {
  private readonly publicKeys = new Map<string, Promise<string>>();

  constructor(
    private readonly keyId: string,
    private readonly client: KMSClient = kms(),
  ) {}

  async sign(sha256: Buffer): Promise<{ signature: string; keyId: string }> {
    if (sha256.length !== 32) throw new RangeError('A SHA-256 digest has 32 bytes');
    const result = await this.client.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: sha256,
        MessageType: 'DIGEST',
        SigningAlgorithm: DIGEST_SIGNING_ALGORITHM,
      }),
    );
    if (result.Signature === undefined || result.KeyId === undefined)
      throw new Error('KMS Sign answered without a signature');
    return { signature: Buffer.from(result.Signature).toString('base64'), keyId: result.KeyId };
  }

  publicKeyPem(keyId: string = this.keyId): Promise<string> {
    let pem = this.publicKeys.get(keyId);
    if (pem === undefined) {
      pem = this.client.send(new GetPublicKeyCommand({ KeyId: keyId })).then((result) => {
        if (result.PublicKey === undefined) throw new Error('KMS GetPublicKey answered without a key');
        return pemOfSpki(result.PublicKey);
      });
      // A failed fetch is not kept: the next verification asks again.
      pem.catch(() => this.publicKeys.delete(keyId));
      this.publicKeys.set(keyId, pem);
    }
    return pem;
  }
}
