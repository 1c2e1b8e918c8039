import type { ConnectPlan } from './connect-plan.js';
import type { PeerTransport, TransportPreference } from './link-connection.js';
import { ndcAvailability } from './transport/ndc-addon.js';
import { ndcSupportsIceUrl } from './transport/ndc-ice-servers.js';

/**
 * The stack of a generation with this plan, and why. libdatachannel's prebuilt ICE (libjuice) relays
 * over UDP only, so a relay-only generation through a TURN TCP/TLS URL (a site that blocks UDP) runs
 * on werift whatever was asked; `auto` also takes werift when the native module does not load. Both
 * stacks speak standard WebRTC, so the two ends need not agree; the answering side derives the same
 * plan from the generation id anyway.
 */
export function chooseTransport(
  preference: TransportPreference,
  plan: ConnectPlan,
  turnUrls: readonly string[],
  native: () => { ok: true } | { ok: false; reason: string } = ndcAvailability,
): { transport: PeerTransport; reason: string } {
  if (preference === 'werift') return { transport: 'werift', reason: 'configured (--transport werift)' };
  if (plan.policy === 'relay' && !ndcSupportsIceUrl(turnUrls[plan.turnIndex] ?? ''))
    return { transport: 'werift', reason: 'relay over TURN TCP/TLS: libdatachannel relays over UDP only' };
  if (preference === 'libdatachannel')
    return { transport: 'libdatachannel', reason: 'configured (--transport libdatachannel)' };
  const ndc = native();
  if (!ndc.ok) return { transport: 'werift', reason: `auto: ${ndc.reason}` };
  return { transport: 'libdatachannel', reason: 'auto: native stack available' };
}
