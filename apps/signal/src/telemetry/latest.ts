import type { LinkReport, TelemetryEntry } from '@rtcmesh/protocol';

/** How a report relates to the previous one (TelemetrySchema: `partial`, `gone`). */
export interface TelemetryChange {
  partial?: boolean;
  gone?: readonly string[];
}

/** Latest link report per (node, peer), in memory: telemetry is live state, not history. */
export class LatestTelemetry {
  private readonly byNode = new Map<
    string,
    { networkId: string; receivedAt: number; links: Map<string, LinkReport> }
  >();

  /**
   * A full report replaces the node's links (a peer missing from it has no link any more); a partial
   * one updates the links it names and forgets the `gone` ones.
   */
  record(
    networkId: string,
    nodeId: string,
    links: LinkReport[],
    receivedAt: number = Date.now(),
    change: TelemetryChange = {},
  ): void {
    const known = this.byNode.get(nodeId);
    if (!change.partial || !known || known.networkId !== networkId) {
      this.byNode.set(nodeId, { networkId, receivedAt, links: new Map(links.map((l) => [l.peerId, l])) });
      return;
    }
    known.receivedAt = receivedAt;
    for (const l of links) known.links.set(l.peerId, l);
    for (const id of change.gone ?? []) known.links.delete(id);
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
