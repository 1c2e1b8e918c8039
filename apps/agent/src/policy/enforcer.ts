import {
  type BrowserAccess,
  browserAccess,
  compilePolicy,
  FlowTable,
  isAccept,
  type Policy,
  type PolicyEvaluator,
  type PolicyNode,
  Verdict,
  validatePolicy,
  verdictName,
} from '@rtcmesh/policy';
import type { PeerInfo, SelfInfo, Welcome } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { ReceiveFilter } from '../forward/forwarder.js';
import type { SignedPolicyGate } from './signed-policy.js';

/** What `rtcmesh status` shows about the access policy. */
export interface PolicyStatus {
  /** Version of the policy in force (0: none, everything allowed). */
  version: number;
  l3Default: 'allow' | 'deny';
  l2Default: 'allow' | 'deny';
  /** Frames/packets denied, total and per sending peer. */
  denied: number;
  deniedByPeer: Record<string, number>;
  /** Per outcome: "denied.default", "denied.ethertype", "denied.malformed", "accepted.rule.N", "accepted.return". */
  verdicts: Record<string, number>;
  /** Return-traffic table: live flows, capacity, and flows replaced because it was full. */
  flows: { live: number; capacity: number; evicted: number };
  /** Set when the server sent a policy this agent refused (the previous one stays in force). */
  lastError: string | null;
}

/** The subset of the control client the enforcer listens to. */
export interface PolicyEvents {
  on(event: 'welcome', l: (w: Welcome) => void): unknown;
  on(event: 'policy', l: (m: { policy: unknown; signature?: string | undefined }) => void): unknown;
  on(event: 'config', l: (c: { self?: SelfInfo | undefined }) => void): unknown;
  on(event: 'peer-joined' | 'peer-updated', l: (p: PeerInfo) => void): unknown;
  on(event: 'peer-removed', l: (id: string) => void): unknown;
}

function toNode(
  p: { nodeId: string; name: string; tags?: string[] | undefined; addresses: string[] },
  routes: string[],
): PolicyNode {
  return { id: p.nodeId, name: p.name, tags: p.tags ?? [], addresses: p.addresses, routes };
}

/**
 * Enforces the network's access policy on what peers send this node (never on what it sends: every
 * receiver decides for itself, so a modified agent cannot talk its way in). Follows the control plane:
 * the policy (validated again here), node names, tags, addresses and routes; recompiles lazily on the
 * next packet after a change, without touching links. Counts every denial per peer and per outcome.
 */
export class PolicyEnforcer implements ReceiveFilter {
  private policy: Policy | null = null;
  private selfId = '';
  private readonly nodes = new Map<string, PolicyNode>();
  private readonly flows = new FlowTable();
  private evaluator: PolicyEvaluator = compilePolicy(null, [], '', { flows: this.flows });
  private dirty = false;
  private mode: 'l2' | 'l3' = 'l3';
  private denied = 0;
  private readonly deniedByPeer = new Map<string, number>();
  /** Indexed by verdict + 5 (negatives) for named outcomes; rules in `ruleHits`. */
  private readonly outcomeHits = new Float64Array(6);
  private ruleHits: number[] = [];
  private lastError: string | null = null;
  private ownRoutes: readonly string[] = [];
  /** Locked networks: judges each policy's signature (set once the lock keys are known). */
  private gate: SignedPolicyGate | null = null;
  /** The last policy the server offered, judged again when the gate arrives. */
  private offered: { wire: unknown; signature: string | undefined } = { wire: null, signature: undefined };

  constructor(private readonly log: Logger) {}

  /** Follows the control session: welcome (full state), policy updates, peer and self changes. */
  attach(control: PolicyEvents): void {
    control.on('welcome', (w) => this.onWelcome(w));
    control.on('policy', (m) => this.setPolicy(m.policy, m.signature));
    control.on('config', (c) => {
      if (c.self) this.setSelf(c.self);
    });
    control.on('peer-joined', (p) => this.upsertPeer(p));
    control.on('peer-updated', (p) => this.upsertPeer(p));
    control.on('peer-removed', (id) => this.removePeer(id));
  }

  onWelcome(w: Welcome): void {
    this.mode = w.network.mode;
    this.nodes.clear();
    this.setSelf(w.self);
    for (const p of w.peers) if (p.nodeId !== w.self.nodeId) this.upsertPeer(p);
    // A welcome without a policy means the network has none (any more): back to allow-all.
    this.setPolicy(w.policy ?? null, w.policySignature);
  }

  /**
   * From now on policies must pass `gate` (a locked network); the policy offered last is judged
   * again at once, and a signed one kept in the state directory takes over if that one is refused.
   */
  setGate(gate: SignedPolicyGate): void {
    this.gate = gate;
    this.setPolicy(this.offered.wire, this.offered.signature);
  }

  /**
   * Validates and installs a policy from the server; an invalid one is logged and ignored. In a
   * locked network its signature is judged first (SignedPolicyGate): a refused one leaves the last
   * signed policy in force.
   */
  setPolicy(wire: unknown, signature?: string): void {
    this.offered = { wire, signature };
    let refusal: string | null = null;
    if (this.gate) {
      const j = this.gate.judge(wire, signature);
      if (!j.accept) {
        refusal = j.reason;
        if (j.fallback === null) {
          this.lastError = `policy refused: ${refusal}`;
          return;
        }
        wire = j.fallback;
      }
    }
    this.apply(wire);
    if (refusal) this.lastError = `policy refused: ${refusal}`;
  }

  private apply(wire: unknown): void {
    if (wire === null) {
      this.install(null);
      return;
    }
    const v = validatePolicy(wire);
    if (!v.ok) {
      this.lastError = `policy refused: ${v.issues
        .slice(0, 3)
        .map((i) => `${i.path}: ${i.message}`)
        .join('; ')}`;
      this.log.error(
        { issues: v.issues.slice(0, 10) },
        'the server sent an invalid access policy; keeping the previous one',
      );
      return;
    }
    this.install(v.policy);
  }

  private install(policy: Policy | null): void {
    this.lastError = null;
    // Every reconnect's welcome repeats the policy: the same one changes nothing (flows stay).
    if (JSON.stringify(policy) === JSON.stringify(this.policy)) return;
    const before = this.policy?.version ?? 0;
    this.policy = policy;
    this.ruleHits = [];
    // Flows a peer started may have left UDP entries (our answers); the new policy decides about them.
    // TCP entries only come from our own SYNs, so they stay (see FlowTable).
    this.flows.flush(true);
    this.dirty = true;
    if ((policy?.version ?? 0) !== before)
      this.log.info(
        { version: policy?.version ?? 0, rules: policy?.rules?.length ?? 0, l2: policy?.l2?.length ?? 0 },
        'access policy in force',
      );
  }

  /**
   * May a browser principal (`browser:admin`) reach `ip:port` through this node (issue 20)? Only what
   * a rule names it for: no default lets a browser in. The policy in force (a locked network's
   * signed one) decides, as for packets.
   */
  browserAccess(principal: string, ip: string, port: number): BrowserAccess {
    return browserAccess(this.policy, principal, { ip, port }, [...this.nodes.values()], this.selfId);
  }

  setSelf(self: SelfInfo): void {
    this.selfId = self.nodeId;
    this.nodes.set(self.nodeId, toNode(self, [...this.ownRoutes]));
    this.dirty = true;
  }

  /** Own advertised routes (subnet router): a dst selecting this node covers them. */
  setOwnRoutes(routes: readonly string[]): void {
    this.ownRoutes = [...routes];
    const self = this.nodes.get(this.selfId);
    if (self) this.nodes.set(this.selfId, { ...self, routes: this.ownRoutes });
    this.dirty = true;
  }

  upsertPeer(p: PeerInfo): void {
    if (p.nodeId === this.selfId) return;
    const next = toNode(
      p,
      p.routes.map((r) => r.prefix),
    );
    const prev = this.nodes.get(p.nodeId);
    if (prev && JSON.stringify(prev) === JSON.stringify(next)) return;
    this.nodes.set(p.nodeId, next);
    this.dirty = true;
  }

  removePeer(id: string): void {
    if (this.nodes.delete(id)) this.dirty = true;
    this.deniedByPeer.delete(id);
  }

  private current(): PolicyEvaluator {
    if (this.dirty) {
      this.evaluator = compilePolicy(this.policy, [...this.nodes.values()], this.selfId, {
        flows: this.flows,
      });
      this.dirty = false;
    }
    return this.evaluator;
  }

  // ---- ReceiveFilter (hot path) ----

  allowFromPeer(peerId: string, frame: Uint8Array): boolean {
    const ev = this.current();
    const v = this.mode === 'l2' ? ev.allowL2(peerId, frame) : ev.allowL3(peerId, frame, Date.now());
    if (v >= 0) this.ruleHits[v] = (this.ruleHits[v] ?? 0) + 1;
    else this.outcomeHits[v + 5]!++;
    if (isAccept(v)) return true;
    this.denied++;
    this.deniedByPeer.set(peerId, (this.deniedByPeer.get(peerId) ?? 0) + 1);
    return false;
  }

  trackOutbound(packet: Uint8Array): void {
    if (this.mode === 'l3') this.current().trackOutbound(packet, Date.now());
  }

  // ---- reporting ----

  deniedFrom(peerId: string): number {
    return this.deniedByPeer.get(peerId) ?? 0;
  }

  /** A few flat counters for telemetry (the full breakdown is in status()). */
  counters(): Record<string, number> {
    return {
      'acl.version': this.policy?.version ?? 0,
      'acl.denied': this.denied,
      'acl.returned': this.flows.counters.returned,
    };
  }

  status(): PolicyStatus {
    const ev = this.current();
    const verdicts: Record<string, number> = {};
    for (const v of [
      Verdict.DenyDefault,
      Verdict.DenyEthertype,
      Verdict.DenyMalformed,
      Verdict.AcceptReturn,
    ]) {
      const n = this.outcomeHits[v + 5]!;
      if (n > 0) verdicts[`${isAccept(v) ? 'accepted' : 'denied'}.${verdictName(v)}`] = n;
    }
    this.ruleHits.forEach((n, i) => {
      if (n) verdicts[`accepted.rule.${i}`] = n;
    });
    return {
      version: this.policy?.version ?? 0,
      l3Default: ev.l3DefaultAllow ? 'allow' : 'deny',
      l2Default: ev.l2DefaultAllow ? 'allow' : 'deny',
      denied: this.denied,
      deniedByPeer: Object.fromEntries(this.deniedByPeer),
      verdicts,
      flows: {
        live: this.flows.size(Date.now()),
        capacity: this.flows.capacity,
        evicted: this.flows.counters.evicted,
      },
      lastError: this.lastError,
    };
  }
}
