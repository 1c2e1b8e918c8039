import { LIMITS, type LinkReport, type ScalarRecord } from '@rtcmesh/protocol';

/** One telemetry message (ClientTelemetry without its type). */
export interface TelemetryMessage {
  links: LinkReport[];
  counters?: ScalarRecord;
  partial?: true;
  gone?: string[];
}

/** A full report at least this often, in case a report was lost with a server instance. */
const FULL_EVERY_MS = 10 * 60_000;

/**
 * What an agent tells the server about its links each interval. The first report of a session is
 * full (every link); after it, only what changed: a link whose state, path, transport or counters
 * moved, or whose RTT/loss moved noticeably, and the peers whose link is gone. An idle link costs
 * nothing per interval, so a large, mostly idle mesh reports O(active links) per node instead of
 * O(peers) (README, "Telemetry"). Reports larger than maxTelemetryLinks are split.
 */
export class TelemetryReporter {
  private last = new Map<string, LinkReport>();
  private lastCounters = '';
  private fullAt = Number.NEGATIVE_INFINITY;

  /** The next report is full (a new session: the server may know nothing of us). */
  reset(): void {
    this.fullAt = Number.NEGATIVE_INFINITY;
  }

  /** The messages to send now for these links (empty list: nothing to say). */
  report(links: readonly LinkReport[], counters: ScalarRecord | undefined, now: number): TelemetryMessage[] {
    const full = now - this.fullAt >= FULL_EVERY_MS;
    const current = new Map(links.map((l) => [l.peerId, l]));
    const changed = full ? [...links] : links.filter((l) => linkChanged(this.last.get(l.peerId), l));
    const gone = full ? [] : [...this.last.keys()].filter((id) => !current.has(id));
    this.last = current;
    if (full) this.fullAt = now;
    const countersText = JSON.stringify(counters ?? {});
    if (!full && countersText === this.lastCounters) counters = undefined;
    this.lastCounters = countersText;
    if (!full && changed.length === 0 && gone.length === 0 && !counters) return [];
    const max = LIMITS.maxTelemetryLinks;
    const out: TelemetryMessage[] = [];
    for (let i = 0; i === 0 || i < changed.length; i += max) {
      // i === 0 always yields one message: the full report's (maybe empty) replacement, or the counters.
      out.push({
        links: changed.slice(i, i + max),
        // A full report's first message replaces; its continuation and every later report update.
        ...(!full || i > 0 ? { partial: true as const } : {}),
        ...(i === 0 && counters ? { counters } : {}),
      });
    }
    for (let i = 0; i < gone.length; i += max) {
      const first = out[0]!;
      if (i === 0 && first.links.length + gone.length <= max) first.gone = gone.slice(0, max);
      else out.push({ links: [], partial: true, gone: gone.slice(i, i + max) });
    }
    return out;
  }
}

/** Worth reporting: anything but RTT and loss jitter. */
export function linkChanged(prev: LinkReport | undefined, next: LinkReport): boolean {
  if (!prev) return true;
  if (
    prev.state !== next.state ||
    prev.path !== next.path ||
    prev.remoteAddress !== next.remoteAddress ||
    prev.localCandidateType !== next.localCandidateType ||
    prev.remoteCandidateType !== next.remoteCandidateType ||
    prev.transport !== next.transport ||
    prev.packetPath !== next.packetPath ||
    prev.since !== next.since ||
    prev.txPackets !== next.txPackets ||
    prev.rxPackets !== next.rxPackets ||
    prev.drops !== next.drops ||
    prev.aclDenied !== next.aclDenied
  )
    return true;
  if ((prev.rttMs === undefined) !== (next.rttMs === undefined)) return true;
  if (prev.rttMs !== undefined && next.rttMs !== undefined) {
    const delta = Math.abs(prev.rttMs - next.rttMs);
    if (delta > Math.max(1, prev.rttMs * 0.1)) return true;
  }
  return (
    Math.abs((prev.lossPct ?? 0) - (next.lossPct ?? 0)) >= 0.5 ||
    Math.abs((prev.pathLossPct ?? 0) - (next.pathLossPct ?? 0)) >= 0.5
  );
}
