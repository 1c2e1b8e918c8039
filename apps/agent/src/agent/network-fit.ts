import { type NetworkInfo, prefixesOverlap, type Welcome } from '@rtcmesh/protocol';
import type { AgentOptions } from './agent-options.js';

/**
 * Why this agent's options cannot run on this network (checked before anything is set up), or null:
 * exit nodes and mobility are L3 features; a mobility prefix must not overlap the overlay.
 */
export function optionsProblem(
  opts: Pick<AgentOptions, 'exitNode' | 'advertiseExitNode' | 'mobility'>,
  network: NetworkInfo,
): string | null {
  if (network.mode === 'l2' && (opts.exitNode || opts.advertiseExitNode))
    return `--exit-node and --advertise-exit-node need an L3 network; ${network.name} is L2`;
  const mobility = opts.mobility ?? [];
  if (mobility.length > 0 && network.mode !== 'l3')
    return `--mobility needs an L3 network; ${network.name} is L2 (stretch the LAN with --bridge)`;
  for (const m of mobility)
    if (prefixesOverlap(m.prefix, network.cidr))
      return `--mobility ${m.prefix} overlaps the network ${network.cidr}`;
  return null;
}

/**
 * What of the network a running device depends on differs between two welcomes, if anything (an
 * agent that started from its cache stops when the server's view differs there: its device is wrong).
 */
export function networkChange(running: Welcome, fresh: Welcome): string | null {
  if (running.network.id !== fresh.network.id) return 'the network';
  if (running.network.mode !== fresh.network.mode) return "the network's mode";
  if (running.network.cidr !== fresh.network.cidr) return "the network's address range";
  if (running.network.cidr6 !== fresh.network.cidr6) return "the network's IPv6 prefix";
  if (running.network.mtu !== fresh.network.mtu) return "the network's MTU";
  if (running.self.addresses.join() !== fresh.self.addresses.join()) return "this node's addresses";
  if (running.self.mac !== fresh.self.mac) return "this node's MAC";
  return null;
}
