/** WebRTC helpers shared by the console's browser ping and the proxy shell (both complete-SDP, no trickle). */

export type SelectedPair = {
  path: 'direct' | 'relay' | 'unknown';
  localCandidateType: string;
  remoteCandidateType: string;
  remoteAddress: string;
};

/** From getStats: the selected candidate pair, and whether either end of it is a TURN relay. */
export async function selectedPair(pc: RTCPeerConnection): Promise<SelectedPair> {
  const stats = await pc.getStats();
  let pairId: string | undefined;
  stats.forEach((s: { type: string; selectedCandidatePairId?: string }) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
  });
  type Pair = {
    type: string;
    id: string;
    nominated?: boolean;
    state?: string;
    localCandidateId?: string;
    remoteCandidateId?: string;
  };
  let pair: Pair | undefined;
  stats.forEach((s: Pair) => {
    if (s.type !== 'candidate-pair') return;
    if (pairId ? s.id === pairId : s.nominated && s.state === 'succeeded') pair = s;
  });
  const local = pair?.localCandidateId ? stats.get(pair.localCandidateId) : undefined;
  const remote = pair?.remoteCandidateId ? stats.get(pair.remoteCandidateId) : undefined;
  const lt: string = local?.candidateType ?? '?';
  const rt: string = remote?.candidateType ?? '?';
  return {
    path: !pair ? 'unknown' : lt === 'relay' || rt === 'relay' ? 'relay' : 'direct',
    localCandidateType: lt,
    remoteCandidateType: rt,
    remoteAddress: remote ? `${remote.address ?? remote.ip ?? '?'}:${remote.port ?? '?'}` : '?',
  };
}

/** Resolves when ICE gathering is complete, or after `timeoutMs` with what was gathered. */
export function gathered(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, timeoutMs);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(t);
        resolve();
      }
    });
  });
}

/** Polls `cond` until it holds; throws `what` after `deadline` (ms since the epoch). */
export async function until(cond: () => boolean, deadline: number, what: string): Promise<void> {
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 20));
  }
}
