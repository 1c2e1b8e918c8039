import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PACKET_CODEC_NAME,
  PACKET_PAYLOAD_TYPE,
  PacketTrackState,
  sdpHasPacketTrack,
} from '../packet-track.js';
import { loadAddon } from './ndc-addon.js';
import { NdcPacketTrack } from './ndc-packet-track.js';

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const o of open.splice(0).reverse()) o.close();
});

function setup() {
  const pc = new (loadAddon().PeerConnection)('packet-track-test', {
    iceServers: [],
    disableAutoNegotiation: true,
  });
  const state = new PacketTrackState();
  let opened = 0;
  const track = new NdcPacketTrack(pc, state, {
    log: pino({ level: 'silent' }),
    isClosed: () => false,
    onPacket: () => undefined,
    onOpen: () => opened++,
  });
  track.wire();
  open.push(pc, track);
  return { pc, state, track, opened: () => opened };
}

describe('NdcPacketTrack', () => {
  it('puts a send-receive media section with the packet codec and its SSRC first in the offer', () => {
    const { pc } = setup();
    pc.createDataChannel('packet', { negotiated: true, id: 0 });
    pc.setLocalDescription('offer');
    const sdp = pc.localDescription()!.sdp;
    expect(sdpHasPacketTrack(sdp)).toBe(true);
    expect(sdp.indexOf('m=video')).toBeLessThan(sdp.indexOf('m=application'));
    expect(sdp).toContain(`a=rtpmap:${PACKET_PAYLOAD_TYPE} ${PACKET_CODEC_NAME}/90000`);
    expect(sdp).toMatch(/a=ssrc:\d+ cname:rtcmesh/);
  });

  it('is not ready before the track opens; counts nothing sent', () => {
    const { state, track, opened } = setup();
    expect(track.refresh()).toBe(false);
    expect(state.receiving).toBe(false);
    expect(opened()).toBe(0);
    expect(track.txPackets).toBe(0);
  });
});
