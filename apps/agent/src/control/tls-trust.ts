import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Reads `--ca-file`: PEM certificate(s) of the CA that signed the server's certificate. With it, these
 * CAs are the only ones trusted for the server (the REST join and the WebSocket), instead of the
 * system's store: a private CA pins the server, and no public CA can stand in for it.
 */
export function loadCaFile(file: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    throw new Error(`--ca-file ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    new X509Certificate(pem);
  } catch {
    throw new Error(`--ca-file ${file}: not a PEM certificate`);
  }
  return pem;
}

/** Node's certificate verification codes that mean "signed by a CA we do not trust". */
const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/**
 * A sentence naming what is wrong with the server's TLS certificate (expired, wrong name, unknown CA,
 * not TLS at all), or null when `err` is not a TLS problem. Looks through `cause` (fetch wraps errors).
 */
export function describeTlsError(err: unknown, serverUrl: string): string | null {
  const e = tlsCause(err);
  if (!e) return null;
  const host = safeHost(serverUrl);
  const code = e.code ?? '';
  if (code === 'CERT_HAS_EXPIRED')
    return `the TLS certificate of ${host} has expired (the server must renew it)`;
  if (code === 'CERT_NOT_YET_VALID')
    return `the TLS certificate of ${host} is not valid yet (check this host's clock)`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the TLS certificate of ${host} is for another name (${e.reason ?? e.message}); use the name the certificate was issued for in --server`;
  if (UNKNOWN_CA.has(code))
    return `the TLS certificate of ${host} is signed by an unknown CA (${code}); pass --ca-file <CA certificate> if the server uses a private CA`;
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO')
    return `${host} does not speak TLS on this port (http:// instead of https://?)`;
  if (code.startsWith('CERT_') || code.startsWith('ERR_TLS_'))
    return `the TLS certificate of ${host} was refused (${code}: ${e.message})`;
  return null;
}

type CodedError = Error & { code?: string; reason?: string };

function tlsCause(err: unknown): CodedError | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as CodedError).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return e as CodedError;
    e = (e as Error & { cause?: unknown }).cause;
  }
  return null;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
