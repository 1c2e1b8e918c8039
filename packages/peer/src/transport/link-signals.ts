import type { Logger } from 'pino';
import type { CandidateAddressFilter } from '../address-filter.js';
import type { LinkConnectionOptions } from '../link-connection.js';
import type { LinkSignal } from '../link-signal.js';

/** One ICE candidate as it is signalled (the W3C `RTCIceCandidateInit` form, as browsers send it). */
export type SignalledCandidate = NonNullable<Extract<LinkSignal, { kind: 'candidate' }>['candidate']>;

/**
 * What a generation of either stack tells the peer about itself: its local descriptions and candidates,
 * through the address filter (excluded candidates are never signalled, and their lines are stripped
 * from the SDP). Whether the generation is still open to signal is the caller's to check.
 */
export class LocalSignals {
  constructor(
    private readonly opts: Pick<LinkConnectionOptions, 'gen' | 'addressFilter' | 'sendSignal'>,
    private readonly log: Logger,
  ) {}

  /** A local offer or answer; any other type (rollback, pranswer) is not signalled. */
  description(type: string, sdp: string): void {
    if (type !== 'offer' && type !== 'answer') return;
    const filtered = this.opts.addressFilter.filterSdp(sdp);
    this.opts.sendSignal({ kind: 'description', description: { type, sdp: filtered }, gen: this.opts.gen });
  }

  candidate(candidate: SignalledCandidate): void {
    if (this.opts.addressFilter.isCandidateExcluded(candidate.candidate)) {
      this.log.debug({ candidate: candidate.candidate }, 'not signaling excluded candidate');
      return;
    }
    this.opts.sendSignal({ kind: 'candidate', candidate, gen: this.opts.gen });
  }

  endOfCandidates(): void {
    this.opts.sendSignal({ kind: 'candidate', candidate: null, gen: this.opts.gen });
  }
}

/**
 * Whether a signalled remote candidate is one to add: not the end-of-candidates marker (null or an
 * empty candidate: neither stack needs it) and not on an excluded address.
 */
export function isUsableRemoteCandidate(
  c: SignalledCandidate | null,
  filter: CandidateAddressFilter,
): c is SignalledCandidate {
  if (!c || c.candidate === '') return false;
  return !filter.isCandidateExcluded(c.candidate);
}
