import type { AgentEvent } from '@rtcmesh/protocol';
import type { BrowserSessionEvent } from './browser-peer.js';

/** A proxy session's open, close or refusal as the console's events feed lists it (who, target, bytes, time). */
export function browserSessionEvent(e: BrowserSessionEvent): AgentEvent {
  if (e.kind === 'refused')
    return {
      kind: 'browser-refused',
      message: `${e.principal} refused for ${e.target}: ${e.reason}`.slice(0, 500),
      details: { principal: e.principal, target: e.target },
    };
  const s = e.stats;
  const base = { session: s.sessionId, principal: s.principal, target: s.target };
  if (e.kind === 'opened')
    return {
      kind: 'browser-session',
      message: `${s.principal} opened ${s.target}`.slice(0, 500),
      details: { ...base, state: 'open' },
    };
  const seconds = Math.round((Date.now() - s.openedAt) / 1000);
  return {
    kind: 'browser-session',
    message:
      `${s.principal} closed ${s.target} after ${seconds} s: ${s.streams} streams, ` +
      `${s.bytesToBrowser} bytes to the browser, ${s.bytesFromBrowser} from it (${e.reason})`.slice(0, 500),
    details: {
      ...base,
      state: 'closed',
      durationS: seconds,
      streams: s.streams,
      bytesToBrowser: s.bytesToBrowser,
      bytesFromBrowser: s.bytesFromBrowser,
      refused: s.refused,
      reason: e.reason.slice(0, 200),
    },
  };
}
