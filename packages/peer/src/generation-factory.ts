import type { Logger } from 'pino';
import { CandidateAddressFilter } from './address-filter.js';
import {
  type ConnectPlan,
  connectPlans,
  iceServersForPlan,
  planOfGeneration,
  turnUrlCount,
  turnUrls,
} from './connect-plan.js';
import type {
  LinkConnection,
  LinkConnectionOptions,
  PeerTransport,
  TransportPreference,
} from './link-connection.js';
import type { LinkTimings, PeerLinkOptions } from './peer-link-options.js';
import { createLinkConnection } from './transport/create-link-connection.js';
import { chooseTransport } from './transport-choice.js';

/** What a generation tells its link (LinkConnectionOptions' callbacks). */
export type GenerationEvents = Pick<
  LinkConnectionOptions,
  'sendSignal' | 'onOpen' | 'onDead' | 'onPacket' | 'onControl' | 'onPacketTrackReady'
>;

/**
 * What the generations of one link are made of, from its options: the connect plans it tries (relay
 * ones only for a relay-only link), which stack a plan runs on and why (transport-choice.ts), the ICE
 * servers, address filter and channel settings each connection gets.
 */
export class GenerationFactory {
  /** The configured preference; each generation's stack comes from transportFor. */
  readonly preference: TransportPreference;
  /** The connect plans in order (connect-plan.ts). */
  readonly plans: ConnectPlan[];
  /** 'relay' never tries a direct path (no 'all' plan, no upgrade probes). */
  readonly relayOnly: boolean;
  /** Why each open generation runs on its stack. */
  private readonly transportReasons = new WeakMap<LinkConnection, string>();
  private readonly turnUrls: string[];
  private readonly turnCount: number;
  private readonly portRange: [number, number] | undefined;
  private readonly filter: CandidateAddressFilter;
  private readonly packetTrack: boolean;

  constructor(
    options: PeerLinkOptions,
    private readonly o: LinkTimings,
    private readonly polite: boolean,
    private readonly log: Logger,
  ) {
    this.portRange = options.icePortRange;
    this.filter =
      options.candidateAddresses instanceof CandidateAddressFilter
        ? options.candidateAddresses
        : new CandidateAddressFilter(options.candidateAddresses);
    this.relayOnly = options.iceTransportPolicy === 'relay';
    this.preference = options.transport ?? 'auto';
    this.packetTrack = options.packetTrack ?? true;
    this.turnUrls = turnUrls(options.iceServers);
    const plans = connectPlans(options.iceServers);
    this.plans = this.relayOnly ? plans.filter((p) => p.policy === 'relay') : plans;
    if (this.plans.length === 0) throw new Error('PeerLink: relay-only policy needs at least one turn: URL');
    this.turnCount = turnUrlCount(options.iceServers);
  }

  /** The plan of a generation the peer offered: its id says how it gathers. */
  planOf(gen: string): ConnectPlan {
    return planOfGeneration(gen, this.turnCount);
  }

  /** A connection for generation `gen` with this plan; `initiator`: this side offers it. */
  create(plan: ConnectPlan, gen: string, initiator: boolean, events: GenerationEvents): LinkConnection {
    const stack = this.transportFor(plan);
    const conn = createLinkConnection(stack.transport, {
      gen,
      plan,
      polite: this.polite,
      initiator,
      iceServers: iceServersForPlan(this.o.iceServers, plan),
      sctpMtu: this.o.sctpMtu,
      maxBufferedBytes: this.o.maxBufferedBytes,
      packetTrack: this.packetTrack,
      icePortRange: this.portRange,
      addressFilter: this.filter,
      logger: this.log,
      ...events,
    });
    this.transportReasons.set(conn, stack.reason);
    return conn;
  }

  /** The stack of `active`, or (none active) of the next generation, and why: LinkStats' transport. */
  transportOf(active: LinkConnection | null): { transport: PeerTransport; reason: string } {
    return {
      transport: active?.transport ?? this.transportFor(this.plans[0]!).transport,
      reason: (active && this.transportReasons.get(active)) ?? this.transportFor(this.plans[0]!).reason,
    };
  }

  /** The stack of a generation with this plan, and why (transport-choice.ts). */
  private transportFor(plan: ConnectPlan): { transport: PeerTransport; reason: string } {
    return chooseTransport(this.preference, plan, this.turnUrls);
  }
}
