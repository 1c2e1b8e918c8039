import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

export type TlsFiles = {
  cert: Buffer;
  key: Buffer;
  subject: string;
  notAfter: string;
  notAfterMs: number;
};

/**
 * Reads and checks a PEM certificate chain and its private key, with errors that name the file and
 * the problem (unreadable, not PEM, key does not match the certificate, already expired) instead of
 * OpenSSL's, so a bad `--tls-cert/--tls-key` fails at startup or reload, never on the first client.
 */
export function loadTlsFiles(certFile: string, keyFile: string): TlsFiles {
  const cert = readOrThrow(certFile, '--tls-cert');
  const key = readOrThrow(keyFile, '--tls-key');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new Error(`--tls-cert ${certFile}: not a PEM certificate`);
  }
  try {
    createPrivateKey(key);
  } catch {
    throw new Error(`--tls-key ${keyFile}: not a PEM private key (or it is encrypted)`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(
      `--tls-key ${keyFile} does not belong to the certificate in ${certFile} (${(err as Error).message})`,
    );
  }
  const notAfterMs = Date.parse(leaf.validTo);
  if (notAfterMs <= Date.now())
    throw new Error(`--tls-cert ${certFile}: the certificate expired on ${leaf.validTo}`);
  return { cert, key, subject: leaf.subject.replace(/\n/g, ', '), notAfter: leaf.validTo, notAfterMs };
}

function readOrThrow(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${flag} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
