import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type TestPki = {
  dir: string;
  /** The throwaway CA's certificate (what an agent's --ca-file names). */
  caFile: string;
  /** Issues a certificate signed by the CA; `days` < 0 gives one that has already expired. */
  issue(name: string, opts?: { san?: string; days?: number }): { certFile: string; keyFile: string };
};

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A throwaway CA in `dir` (openssl; EC P-256 keeps it fast). */
export function createTestPki(dir: string, caName = 'rtcmesh test CA'): TestPki {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const prefix = caName.replace(/\W+/g, '-');
  const caFile = join(dir, `${prefix}.pem`);
  const caKey = join(dir, `${prefix}.key`);
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    caFile,
    '-days',
    '2',
    '-subj',
    `/CN=${caName}`,
  ]);
  return {
    dir,
    caFile,
    issue(name, opts = {}) {
      const keyFile = join(dir, `${name}.key`);
      const certFile = join(dir, `${name}.pem`);
      const csr = join(dir, `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      writeFileSync(ext, `subjectAltName=${opts.san ?? 'IP:127.0.0.1,DNS:localhost'}\n`);
      openssl(dir, ['req', ...ec, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${name}`]);
      openssl(dir, [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-out',
        certFile,
        '-days',
        String(opts.days ?? 1),
        '-extfile',
        ext,
      ]);
      return { certFile, keyFile };
    },
  };
}
