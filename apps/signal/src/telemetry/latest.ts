import type { LinkReport, TelemetryEntry } from '@rtcmesh/protocol';

/** Latest link report per (node, peer), in memory: telemetry is live state, not history. */
export class LatestTelemetry {
  private readonly byNode = new Map<
    string,
    { networkId: string; receivedAt: number; links: Map<string, LinkReport> }
  >();

  /** Replaces the node's reports: a peer missing from the report has no link any more. */
  record(networkId: string, nodeId: string, links: LinkReport[], receivedAt: number = Date.now()): void {
    this.byNode.set(nodeId, { networkId, receivedAt, links: new Map(links.map((l) => [l.peerId, l])) });
  }

  forgetNode(nodeId: string): void {
    this.byNode.delete(nodeId);
    for (const n of this.byNode.values()) n.links.delete(nodeId);
  }

  entries(filter: { networkId?: string; nodeId?: string } = {}): TelemetryEntry[] {
    const out: TelemetryEntry[] = [];
    for (const [nodeId, n] of this.byNode) {
      if (filter.networkId && n.networkId !== filter.networkId) continue;
      if (filter.nodeId && nodeId !== filter.nodeId) continue;
      for (const link of n.links.values())
        out.push({ networkId: n.networkId, nodeId, receivedAt: n.receivedAt, link });
    }
    return out;
  }
}
