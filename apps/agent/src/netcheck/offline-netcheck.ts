import type { NetcheckReport } from '../localapi/schema.js';
import { NetworkMapStore, offlineWelcome } from '../state/network-map.js';
import type { StateDir } from '../state/state-dir.js';
import { runNetcheck } from './netcheck.js';

/**
 * `rtcmesh netcheck` with no agent running: the same checks, against the STUN/TURN servers of the
 * network map the agent last cached in the state directory (TURN credentials past their expiry are
 * left out: the relay would refuse them). `source` says where the servers came from.
 */
export async function netcheckFromCachedMap(
  state: StateDir,
): Promise<{ report: NetcheckReport; source: string }> {
  const identity = await state.readIdentity();
  if (!identity)
    throw new Error(
      'no agent is running and this node never joined: run `rtcmesh up --server … --key …` first',
    );
  const loaded = await new NetworkMapStore(state.networkMapPath).load(
    { nodeId: identity.nodeId, networkId: identity.networkId },
    Number.POSITIVE_INFINITY,
    Date.now(),
  );
  if (!loaded.ok)
    throw new Error(`no agent is running, and its STUN/TURN servers are unknown: ${loaded.reason}`);
  const { welcome, turnExpired } = offlineWelcome(loaded.map, 0, Date.now());
  const report = await runNetcheck(welcome.iceServers);
  const when = new Date(loaded.map.confirmedAt).toISOString();
  return {
    report,
    source: `agent not running: servers from the network map cached ${when}${turnExpired ? ' (TURN credentials expired: STUN only)' : ''}`,
  };
}
