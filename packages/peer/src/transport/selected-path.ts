import { candidateAddress, candidateType } from '../address-filter.js';
import { formatHostPort, type PathInfo } from '../link-connection.js';

/** The path of a selected pair: relayed when either end is a TURN relay candidate. */
export function selectedPath(localType: string, remoteType: string, remoteAddress: string): PathInfo {
  return {
    path: localType === 'relay' || remoteType === 'relay' ? 'relay' : 'direct',
    localCandidateType: localType,
    remoteCandidateType: remoteType,
    remoteAddress,
  };
}

/** At most this many remote candidates are remembered (a generation has few). */
const MAX_REMOTE_CANDIDATES = 64;

/** `host:port` -> type of every remote candidate added, so a pair's remote end can be named as signalled. */
export class RemoteCandidateTypes {
  private readonly types = new Map<string, string>();

  add(candidate: string): void {
    const fields = candidate.split(/\s+/);
    const address = candidateAddress(candidate);
    const type = candidateType(candidate);
    if (address && type && this.types.size < MAX_REMOTE_CANDIDATES)
      this.types.set(formatHostPort(address, Number(fields[5])), type);
  }

  /**
   * The type to report for a remote end: libjuice keeps a pair it learned from an incoming check as
   * peer-reflexive even after the same transport address arrives as a signalled candidate; report the
   * signalled type, as browsers do.
   */
  typeOf(remoteAddress: string, reported: string): string {
    return reported === 'prflx' ? (this.types.get(remoteAddress) ?? reported) : reported;
  }
}
