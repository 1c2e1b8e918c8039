import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CandidateAddressFilter } from '../address-filter.js';
import { PacketTrackState } from '../packet-track.js';
import { werift } from './werift-module.js';
import { WeriftPacketTrack } from './werift-packet-track.js';
import { weriftPeerConfig } from './werift-peer-config.js';

const pcs: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const pc of pcs.splice(0)) await pc.close();
});

function setup(closed = false) {
  const pc = new (werift().RTCPeerConnection)(
    weriftPeerConfig({
      iceServers: [],
      plan: { policy: 'all', turnIndex: 0 },
      icePortRange: undefined,
      sctpMtu: 1330,
      packetTrack: true,
      addressFilter: new CandidateAddressFilter(),
    }),
  );
  pcs.push(pc);
  const state = new PacketTrackState();
  const track = new WeriftPacketTrack(pc, pc.addTransceiver('video', { direction: 'sendrecv' }), state, {
    log: pino({ level: 'silent' }),
    maxBufferedBytes: 1 << 20,
    isClosed: () => closed,
    onPacket: () => undefined,
  });
  return { pc, state, track };
}

describe('WeriftPacketTrack', () => {
  it('is not ready (and sends nothing) before both descriptions carry it and DTLS has keyed SRTP', async () => {
    const { pc, state, track } = setup();
    expect(track.refresh()).toBe(false);
    await pc.setLocalDescription(await pc.createOffer());
    expect(track.refresh()).toBe(false);
    expect(state.receiving).toBe(false);
    expect(track.send(Buffer.alloc(100))).toBe('closed');
    expect(track.txPackets).toBe(0);
    track.detach();
  });

  it('is never ready once its connection is closed', () => {
    const { state, track } = setup(true);
    expect(track.refresh()).toBe(false);
    expect(state.receiving).toBe(false);
  });
});
