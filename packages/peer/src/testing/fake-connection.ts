import type { ConnectPlan } from '../connect-plan.js';
import type { LinkConnection, PathInfo, SendResult } from '../link-connection.js';

/** A LinkConnection with no network behind it, for unit tests of what a link does with its generations. */
export interface FakeConnection extends LinkConnection {
  /** Control-channel texts sent, in order. */
  readonly controlSent: string[];
  /** What the peer last said about the packet track (`caps`); undefined before it said anything. */
  peerReceivesTrack: boolean | undefined;
  iceRestarts: number;
  closed: number;
  open: boolean;
  trackReady: boolean;
  controlWritable: boolean;
  sendResult: SendResult;
  currentPath: PathInfo | null;
}

export const RELAY_PATH: PathInfo = {
  path: 'relay',
  localCandidateType: 'relay',
  remoteCandidateType: 'host',
  remoteAddress: '198.51.100.9:3478',
};

export const DIRECT_PATH: PathInfo = {
  path: 'direct',
  localCandidateType: 'host',
  remoteCandidateType: 'srflx',
  remoteAddress: '203.0.113.5:40000',
};

export function fakeConnection(
  gen: string,
  over: { plan?: ConnectPlan; canRestartIce?: boolean; path?: PathInfo | null } = {},
): FakeConnection {
  const conn: FakeConnection = {
    transport: 'werift',
    gen,
    plan: over.plan ?? { policy: 'all', turnIndex: 0 },
    canRestartIce: over.canRestartIce ?? true,
    get isOpen() {
      return conn.open;
    },
    get isClosed() {
      return conn.closed > 0;
    },
    controlSent: [],
    peerReceivesTrack: undefined,
    iceRestarts: 0,
    closed: 0,
    open: true,
    trackReady: true,
    controlWritable: true,
    sendResult: 'sent',
    currentPath: over.path ?? null,
    handleSignal: () => {},
    restartIce: () => {
      conn.iceRestarts++;
    },
    sendPacket: () => conn.sendResult,
    packetTrackReady: () => conn.trackReady,
    setPeerReceivesPacketTrack: (on) => {
      conn.peerReceivesTrack = on;
    },
    packetPath: () => (conn.peerReceivesTrack ? 'rtp' : 'datachannel'),
    packetTrackCounters: () => ({ txPackets: 0, rxPackets: 0, rxExpected: 0 }),
    localQueueBytes: () => (conn.open ? 0 : null),
    sendControl: (text) => {
      if (!conn.controlWritable) return false;
      conn.controlSent.push(text);
      return true;
    },
    channelConfig: () => {
      throw new Error('not in a fake connection');
    },
    path: () => conn.currentPath,
    close: async () => {
      conn.closed++;
    },
  };
  return conn;
}
