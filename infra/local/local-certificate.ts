/**
 * Self-signed TLS certificates of the local stack's HTTPS servers (the OIDC issuer, the vendor
 * sink), made by the `openssl` CLI once per folder and reused while they still fit the host and
 * have more than a day left, so a restart keeps what clients already trust.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StartupError } from './startup-error.ts';

const CERT_DAYS = 825;
/** Renew the certificate when less than this remains, so a long `npm start` does not hit expiry. */
const CERT_RENEW_MS = 24 * 60 * 60 * 1000;

const run = promisify(execFile);

export function fileOrUndefined(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}

function covers(cert: X509Certificate, host: string): boolean {
  return isIP(host) === 0 ? cert.checkHost(host) !== undefined : cert.checkIP(host) !== undefined;
}

export interface LocalCertificate {
  readonly key: string;
  readonly cert: string;
  /** The certificate's PEM file: what clients trust. */
  readonly certFile: string;
}

/** The key and certificate in `dir` for localhost, the loopback addresses and `host`; `name` says whose in errors and the subject. */
export async function loadOrCreateCertificate(
  dir: string,
  host: string,
  name: string,
): Promise<LocalCertificate> {
  const keyFile = join(dir, 'tls-key.pem');
  const certFile = join(dir, 'tls-cert.pem');
  const [key, cert] = await Promise.all([fileOrUndefined(keyFile), fileOrUndefined(certFile)]);
  if (key !== undefined && cert !== undefined) {
    const parsed = new X509Certificate(cert);
    if (covers(parsed, host) && new Date(parsed.validTo).getTime() - Date.now() > CERT_RENEW_MS)
      return { key, cert, certFile };
  }

  const names = new Set([
    'DNS:localhost',
    'IP:127.0.0.1',
    'IP:::1',
    `${isIP(host) === 0 ? 'DNS' : 'IP'}:${host}`,
  ]);
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-nodes',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1', // quicker to make than RSA, as safe for TLS
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      String(CERT_DAYS),
      '-subj',
      `/CN=Custos ${name}`,
      '-addext',
      `subjectAltName=${[...names].join(',')}`,
    ]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new StartupError(`OpenSSL is required for the ${name} certificate: install openssl.`, {
        cause: error,
      });
    }
    throw new StartupError(
      `openssl could not make the ${name} certificate: ${(error as { stderr?: string }).stderr?.trim() ?? String(error)}`,
      { cause: error },
    );
  }
  return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8'), certFile };
}
