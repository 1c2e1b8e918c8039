/** A parsed `stun:`/`turn:`/`turns:` URL (RFC 7064/7065). */
export interface IceUrl {
  scheme: 'stun' | 'stuns' | 'turn' | 'turns';
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  url: string;
}

const pattern = /^(stuns?|turns?):(\[[0-9a-fA-F:.]+\]|[^:?[\]]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/;

export function parseIceUrl(url: string): IceUrl | null {
  const m = pattern.exec(url.trim());
  if (!m) return null;
  const scheme = m[1] as IceUrl['scheme'];
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const secure = scheme === 'stuns' || scheme === 'turns';
  const port = m[3] ? Number(m[3]) : secure ? 5349 : 3478;
  if (port < 1 || port > 65535) return null;
  const transport = secure ? 'tls' : ((m[4] as 'udp' | 'tcp' | undefined) ?? 'udp');
  return { scheme, host, port, transport, url };
}
