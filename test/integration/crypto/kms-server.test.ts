import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetPublicKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  KMSInvalidSignatureException,
  KMSInvalidStateException,
  NotFoundException,
  ScheduleKeyDeletionCommand,
  SignCommand,
  VerifyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AUDIT_SIGNING_KEY_ALIAS,
  FIELD_KEY_ALIAS,
  startKmsServer,
  type KmsServer,
} from '../../../infra/local/kms-server.ts';
import { countingKmsClient } from './kms-client.ts';

const context = { orgId: 'org-a' };

describe('local KMS endpoint with the real @aws-sdk/client-kms', () => {
  let dir: string;
  let server: KmsServer;
  let kms: KMSClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'custos-kms-'));
    server = await startKmsServer({ port: 0, stateFile: join(dir, 'kms.json') });
    kms = countingKmsClient(server.url).client;
  });

  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('GenerateDataKey gives a 32-byte key whose blob Decrypt opens without a KeyId', async () => {
    // Act
    const generated = await kms.send(
      new GenerateDataKeyCommand({ KeyId: FIELD_KEY_ALIAS, KeySpec: 'AES_256', EncryptionContext: context }),
    );
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: context }),
    );

    // Assess
    expect(generated.Plaintext).toHaveLength(32);
    expect(generated.KeyId).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]{36}$/);
    expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(generated.Plaintext!));
    expect(decrypted.KeyId).toBe(generated.KeyId);
  });

  test('NumberOfBytes sizes the key; neither or both of KeySpec and NumberOfBytes is a ValidationException', async () => {
    const sized = await kms.send(new GenerateDataKeyCommand({ KeyId: FIELD_KEY_ALIAS, NumberOfBytes: 64 }));

    expect(sized.Plaintext).toHaveLength(64);
    // ValidationException is not in the KMS service model: the SDK raises it by name only.
    await expect(kms.send(new GenerateDataKeyCommand({ KeyId: FIELD_KEY_ALIAS }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(
      kms.send(new GenerateDataKeyCommand({ KeyId: FIELD_KEY_ALIAS, KeySpec: 'AES_256', NumberOfBytes: 32 })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  test('Encrypt and Decrypt round-trip; the context key order does not matter', async () => {
    const encrypted = await kms.send(
      new EncryptCommand({
        KeyId: FIELD_KEY_ALIAS,
        Plaintext: Buffer.from('hello'),
        EncryptionContext: { orgId: 'org-a', purpose: 'test' },
      }),
    );
    const decrypted = await kms.send(
      new DecryptCommand({
        KeyId: FIELD_KEY_ALIAS,
        CiphertextBlob: encrypted.CiphertextBlob,
        EncryptionContext: { purpose: 'test', orgId: 'org-a' },
      }),
    );

    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('hello');
  });

  test.each([
    ['another organization', { orgId: 'org-b' }],
    ['no context', undefined],
    ['an extra entry', { orgId: 'org-a', extra: 'x' }],
  ])('Decrypt with %s as context is an InvalidCiphertextException', async (_, wrongContext) => {
    const generated = await kms.send(
      new GenerateDataKeyCommand({ KeyId: FIELD_KEY_ALIAS, KeySpec: 'AES_256', EncryptionContext: context }),
    );

    await expect(
      kms.send(
        new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: wrongContext }),
      ),
    ).rejects.toBeInstanceOf(InvalidCiphertextException);
  });

  test('a garbled blob is an InvalidCiphertextException; the error is AWS-shaped on the wire', async () => {
    // Prepare
    const generated = await kms.send(
      new GenerateDataKeyCommand({ KeyId: FIELD_KEY_ALIAS, KeySpec: 'AES_256', EncryptionContext: context }),
    );
    const garbled = Buffer.from(generated.CiphertextBlob!);
    garbled[garbled.length - 1] = garbled[garbled.length - 1]! ^ 1;

    // Act
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.Decrypt' },
      body: JSON.stringify({ CiphertextBlob: garbled.toString('base64'), EncryptionContext: context }),
    });

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toEqual({
      __type: 'InvalidCiphertextException',
      message: expect.any(String),
    });
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from('not a blob'), EncryptionContext: context })),
    ).rejects.toBeInstanceOf(InvalidCiphertextException);
  });

  test('unknown keys are NotFoundException; Decrypt naming another key is IncorrectKeyException', async () => {
    const generated = await kms.send(
      new GenerateDataKeyCommand({ KeyId: FIELD_KEY_ALIAS, KeySpec: 'AES_256', EncryptionContext: context }),
    );

    await expect(
      kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/nope', KeySpec: 'AES_256' })),
    ).rejects.toBeInstanceOf(NotFoundException);
    await expect(
      kms.send(new DescribeKeyCommand({ KeyId: '00000000-0000-0000-0000-000000000000' })),
    ).rejects.toBeInstanceOf(NotFoundException);
    await expect(
      kms.send(
        new DecryptCommand({
          KeyId: AUDIT_SIGNING_KEY_ALIAS,
          CiphertextBlob: generated.CiphertextBlob,
          EncryptionContext: context,
        }),
      ),
    ).rejects.toBeInstanceOf(IncorrectKeyException);
  });

  test('keys are used only for their usage', async () => {
    await expect(
      kms.send(new EncryptCommand({ KeyId: AUDIT_SIGNING_KEY_ALIAS, Plaintext: Buffer.from('x') })),
    ).rejects.toBeInstanceOf(InvalidKeyUsageException);
    await expect(
      kms.send(
        new SignCommand({
          KeyId: FIELD_KEY_ALIAS,
          Message: Buffer.from('x'),
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidKeyUsageException);
  });

  test.each(['RAW', 'DIGEST'] as const)(
    'Sign (%s) gives a DER ECDSA P-256 signature that node:crypto and Verify accept',
    async (messageType) => {
      // Prepare
      const message = Buffer.from('audit head #42');
      const input = messageType === 'RAW' ? message : createHash('sha256').update(message).digest();

      // Act
      const signed = await kms.send(
        new SignCommand({
          KeyId: AUDIT_SIGNING_KEY_ALIAS,
          Message: input,
          MessageType: messageType,
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      const { PublicKey, KeySpec, SigningAlgorithms } = await kms.send(
        new GetPublicKeyCommand({ KeyId: AUDIT_SIGNING_KEY_ALIAS }),
      );
      const verified = await kms.send(
        new VerifyCommand({
          KeyId: AUDIT_SIGNING_KEY_ALIAS,
          Message: input,
          MessageType: messageType,
          Signature: signed.Signature,
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );

      // Assess
      expect(KeySpec).toBe('ECC_NIST_P256');
      expect(SigningAlgorithms).toEqual(['ECDSA_SHA_256']);
      const publicKey = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
      expect(
        verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, Buffer.from(signed.Signature!)),
      ).toBe(true);
      expect(verified.SignatureValid).toBe(true);
    },
  );

  test('Verify of a signature over another message is KMSInvalidSignatureException, as in AWS', async () => {
    const signed = await kms.send(
      new SignCommand({
        KeyId: AUDIT_SIGNING_KEY_ALIAS,
        Message: Buffer.from('a'),
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );

    await expect(
      kms.send(
        new VerifyCommand({
          KeyId: AUDIT_SIGNING_KEY_ALIAS,
          Message: Buffer.from('b'),
          Signature: signed.Signature,
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      ),
    ).rejects.toBeInstanceOf(KMSInvalidSignatureException);
  });

  test('DescribeKey names the product keys behind their aliases', async () => {
    const fields = await kms.send(new DescribeKeyCommand({ KeyId: FIELD_KEY_ALIAS }));
    const signing = await kms.send(
      new DescribeKeyCommand({ KeyId: `arn:aws:kms:us-east-1:000000000000:${AUDIT_SIGNING_KEY_ALIAS}` }),
    );

    expect(fields.KeyMetadata).toMatchObject({
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
      Enabled: true,
    });
    expect(signing.KeyMetadata).toMatchObject({
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: ['ECDSA_SHA_256'],
    });
    expect(fields.KeyMetadata?.CreationDate).toBeInstanceOf(Date);
  });

  test('a restarted server keeps its key material, so earlier blobs still decrypt', async () => {
    // Prepare
    const generated = await kms.send(
      new GenerateDataKeyCommand({ KeyId: FIELD_KEY_ALIAS, KeySpec: 'AES_256', EncryptionContext: context }),
    );
    const restarted = await startKmsServer({ port: 0, stateFile: join(dir, 'kms.json') });
    try {
      // Act
      const decrypted = await countingKmsClient(restarted.url).client.send(
        new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: context }),
      );

      // Assess
      expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(generated.Plaintext!));
      expect(JSON.parse(await readFile(join(dir, 'kms.json'), 'utf8')).aliases).toHaveProperty(
        FIELD_KEY_ALIAS,
      );
    } finally {
      await restarted.close();
    }
  });
});

describe('ScheduleKeyDeletion on the local KMS endpoint', () => {
  test('a key pending deletion no longer decrypts (KMSInvalidStateException)', async () => {
    // Prepare: its own server without a state file, since this test destroys the key.
    const server = await startKmsServer({ port: 0 });
    const { client } = countingKmsClient(server.url);
    try {
      const generated = await client.send(
        new GenerateDataKeyCommand({
          KeyId: FIELD_KEY_ALIAS,
          KeySpec: 'AES_256',
          EncryptionContext: context,
        }),
      );

      // Act
      const scheduled = await client.send(
        new ScheduleKeyDeletionCommand({ KeyId: FIELD_KEY_ALIAS, PendingWindowInDays: 7 }),
      );

      // Assess
      expect(scheduled.KeyState).toBe('PendingDeletion');
      expect(scheduled.DeletionDate!.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
      await expect(
        client.send(
          new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: context }),
        ),
      ).rejects.toBeInstanceOf(KMSInvalidStateException);
    } finally {
      await server.close();
    }
  });
});
