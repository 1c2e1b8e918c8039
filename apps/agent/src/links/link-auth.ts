import type { KeyObject } from 'node:crypto';
import { type SignalData, signDomain, verifyDomain } from '@rtcmesh/protocol';

/** Signature domain of a DTLS fingerprint set (see packages/protocol/README.md, "Link authentication"). */
export const LINK_AUTH_DOMAIN = 'dtls-fingerprint';

export type LinkAuthResult = { ok: true } | { ok: false; reason: string };

/** What PeerLinks needs: sign what we send, verify what we receive. */
export interface LinkAuth {
  sign(to: string, data: SignalData): SignalData;
  verify(from: string, publicKey: string, data: SignalData): LinkAuthResult;
}

/**
 * End-to-end authentication of peer links against the signaling server.
 *
 * WebRTC checks that the peer's DTLS certificate matches an `a=fingerprint` line of the SDP it
 * received, but the SDP travels through the signaling server, which could swap it and terminate both
 * DTLS sessions itself. So every description we send carries a signature, made with our node key, over
 * the exact set of fingerprints in its SDP (bound to sender, receiver, generation and type), and every
 * description we receive must carry a valid signature by the public key we know for its sender. A
 * server that swaps, adds or removes a fingerprint cannot produce that signature; a replayed
 * description names a certificate whose private key only the real peer holds.
 */
export class LinkAuthenticator implements LinkAuth {
  constructor(
    private readonly selfId: string,
    private readonly privateKey: () => KeyObject,
  ) {}

  /** Returns `data` with an `auth` signature if it is a description; other signals pass unchanged. */
  sign(to: string, data: SignalData): SignalData {
    if (data.kind !== 'description') return data;
    const fingerprint = canonicalFingerprints(data.description.sdp);
    // No fingerprint: nothing to vouch for; the receiver refuses it anyway.
    if (fingerprint === '') return data;
    const payload = linkAuthPayload(this.selfId, to, data.gen, data.description.type, fingerprint);
    return {
      ...data,
      auth: { fingerprint, signature: signDomain(this.privateKey(), LINK_AUTH_DOMAIN, payload) },
    };
  }

  /** Checks a description from `from` against its node key; other signals are always accepted. */
  verify(from: string, publicKey: string, data: SignalData): LinkAuthResult {
    if (data.kind !== 'description') return { ok: true };
    const fingerprint = canonicalFingerprints(data.description.sdp);
    if (fingerprint === '') return { ok: false, reason: 'the SDP has no DTLS fingerprint' };
    if (!data.auth) return { ok: false, reason: 'the description is not signed with the peer’s node key' };
    if (data.auth.fingerprint !== fingerprint) {
      return { ok: false, reason: 'the SDP’s DTLS fingerprints differ from the ones the peer signed' };
    }
    const payload = linkAuthPayload(from, this.selfId, data.gen, data.description.type, fingerprint);
    if (!verifyDomain(publicKey, LINK_AUTH_DOMAIN, payload, data.auth.signature)) {
      return { ok: false, reason: 'the DTLS fingerprint signature does not match the peer’s node key' };
    }
    return { ok: true };
  }
}

/**
 * Every `a=fingerprint` of the SDP (session and media level), normalised (lower-case algorithm,
 * upper-case hex), de-duplicated and sorted, joined by ';'. All of them are signed because a DTLS
 * stack accepts a certificate matching any one of them.
 */
export function canonicalFingerprints(sdp: string): string {
  const found = new Set<string>();
  for (const raw of sdp.split('\n')) {
    const line = raw.trim();
    if (!line.toLowerCase().startsWith('a=fingerprint:')) continue;
    const [algorithm, value, ...rest] = line.slice('a=fingerprint:'.length).trim().split(/\s+/);
    // A malformed line is kept verbatim so it still has to be signed (and will not verify).
    if (!algorithm || !value || rest.length > 0) found.add(line);
    else found.add(`${algorithm.toLowerCase()} ${value.toUpperCase()}`);
  }
  return [...found].sort().join(';');
}

export function linkAuthPayload(
  from: string,
  to: string,
  gen: string | undefined,
  type: 'offer' | 'answer',
  fingerprint: string,
): string {
  return `${from}\n${to}\n${gen ?? ''}\n${type}\n${fingerprint}`;
}
