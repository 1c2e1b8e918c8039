import { BROWSER_LINK_CHANNEL } from '@rtcmesh/protocol/browser';
import { api } from './api.js';
import { gathered, type SelectedPair, selectedPair, until } from './webrtc.js';

/** The RTTs, and from getStats the selected candidate pair. */
export type BrowserPingResult = SelectedPair & { rtts: number[] };

/**
 * "Test from this browser": a WebRTC data channel from this browser to the agent, signaled through
 * the server (complete SDP both ways, no trickle), then `count` pings on the probe channel. The
 * channel is the agent's probe channel only; it never carries overlay traffic.
 */
export async function browserPing(nodeId: string, count = 5, timeoutMs = 15_000): Promise<BrowserPingResult> {
  const pc = new RTCPeerConnection();
  const deadline = Date.now() + timeoutMs;
  try {
    const dc = pc.createDataChannel(BROWSER_LINK_CHANNEL.label, {
      negotiated: true,
      id: BROWSER_LINK_CHANNEL.id,
      ordered: true,
    });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 3000);
    const offer = pc.localDescription?.sdp;
    if (!offer) throw new Error('no local description');
    const answer = await api.browserLink(nodeId, offer);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    await until(
      () => dc.readyState === 'open',
      deadline,
      'the data channel did not open (no path from this browser to the agent)',
    );
    const rtts: number[] = [];
    const pending = new Map<number, number>();
    dc.onmessage = (m: MessageEvent) => {
      if (typeof m.data !== 'string') return;
      try {
        const msg = JSON.parse(m.data) as { t?: string; id?: number };
        const sent = msg.t === 'pong' && typeof msg.id === 'number' ? pending.get(msg.id) : undefined;
        if (sent !== undefined) {
          pending.delete(msg.id as number);
          rtts.push(performance.now() - sent);
        }
      } catch {
        // not ours
      }
    };
    for (let id = 1; id <= count; id++) {
      pending.set(id, performance.now());
      dc.send(JSON.stringify({ t: 'ping', id }));
      const want = id;
      await until(() => rtts.length >= want, Math.min(deadline, Date.now() + 3000), 'ping timed out').catch(
        () => undefined,
      );
    }
    if (rtts.length === 0) throw new Error('no pong from the agent');
    return { rtts, ...(await selectedPair(pc)) };
  } finally {
    pc.close();
  }
}
