import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PACKET_PAYLOAD_TYPE,
  parseRtpFrame,
  RTP_HEADER_BYTES,
  RtpFramer,
  RtpLossMeter,
  sdpHasPacketTrack,
} from './packet-track.js';

describe('RtpFramer and parseRtpFrame', () => {
  it('frames a payload behind a version-2 header with the packet payload type, and parses it back', () => {
    const framer = new RtpFramer(0xdeadbeef);
    const payload = Buffer.from('a tunnelled frame');
    const first = framer.frame(payload);
    const second = framer.frame(payload);
    expect(first.length).toBe(RTP_HEADER_BYTES + payload.length);
    expect(first[0]).toBe(0x80);
    expect(first[1]).toBe(PACKET_PAYLOAD_TYPE);
    expect(first.readUInt32BE(8)).toBe(0xdeadbeef);
    expect(parseRtpFrame(first)).toEqual({ payload, index: 0 });
    expect(parseRtpFrame(second)?.index).toBe(1);
    expect(second.readUInt16BE(2)).toBe(1);
    expect(framer.packets).toBe(2);
  });

  it('skips CSRCs and a header extension, strips padding, and keeps the marker bit out of the type', () => {
    const payload = Buffer.from([1, 2, 3, 4, 5]);
    // V=2, P=1, X=1, CC=2; M=1, PT=96; 2 CSRCs; extension of 1 word; payload; 3 bytes of padding.
    const header = Buffer.alloc(12);
    header[0] = 0x80 | 0x20 | 0x10 | 2;
    header[1] = 0x80 | PACKET_PAYLOAD_TYPE;
    header.writeUInt32BE(77, 4);
    const csrcs = Buffer.alloc(8, 0xcc);
    const ext = Buffer.from([0xbe, 0xde, 0x00, 0x01, 9, 9, 9, 9]);
    const padding = Buffer.from([0, 0, 3]);
    const packet = Buffer.concat([header, csrcs, ext, payload, padding]);
    expect(parseRtpFrame(packet)).toEqual({ payload, index: 77 });
  });

  it('refuses what is not a packet-track frame: RTCP, other payload types, bad versions, lies about lengths', () => {
    const good = new RtpFramer(1).frame(Buffer.from('x'));
    const rtcp = Buffer.from(good);
    rtcp[1] = 201; // receiver report
    expect(parseRtpFrame(rtcp)).toBeNull();
    const otherType = Buffer.from(good);
    otherType[1] = 97;
    expect(parseRtpFrame(otherType)).toBeNull();
    const v1 = Buffer.from(good);
    v1[0] = 0x40;
    expect(parseRtpFrame(v1)).toBeNull();
    expect(parseRtpFrame(good.subarray(0, 11))).toBeNull();
    const csrcPastEnd = Buffer.from(good);
    csrcPastEnd[0] = 0x8f; // 15 CSRCs in a 13-byte packet
    expect(parseRtpFrame(csrcPastEnd)).toBeNull();
    const extPastEnd = Buffer.concat([
      Buffer.from(good.subarray(0, 12)),
      Buffer.from([0xbe, 0xde, 0xff, 0xff]),
    ]);
    extPastEnd[0] = 0x90;
    expect(parseRtpFrame(extPastEnd)).toBeNull();
    const zeroPad = Buffer.from(good);
    zeroPad[0] = 0xa0;
    zeroPad[zeroPad.length - 1] = 0;
    expect(parseRtpFrame(zeroPad)).toBeNull();
    const padPastHeader = Buffer.from(good);
    padPastHeader[0] = 0xa0;
    padPastHeader[padPastHeader.length - 1] = 200;
    expect(parseRtpFrame(padPastHeader)).toBeNull();
  });

  it('never throws on arbitrary bytes, and a payload it returns lies inside the packet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        const packet = Buffer.from(bytes);
        const r = parseRtpFrame(packet);
        if (r) {
          expect(r.payload.byteOffset).toBeGreaterThanOrEqual(packet.byteOffset + RTP_HEADER_BYTES);
          expect(r.payload.byteOffset + r.payload.length).toBeLessThanOrEqual(
            packet.byteOffset + packet.length,
          );
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('RtpLossMeter', () => {
  it('counts the gaps between indexes as lost, and a late packet as received', () => {
    const m = new RtpLossMeter();
    for (const i of [10, 11, 13, 14, 17]) m.observe(i);
    expect(m.expected).toBe(8);
    expect(m.received).toBe(5);
    expect(m.lost).toBe(3);
    m.observe(12); // reordered, not lost after all
    expect(m.lost).toBe(2);
    expect(m.expected).toBe(8);
  });

  it('follows the index across its 32-bit wrap', () => {
    const m = new RtpLossMeter();
    m.observe(0xffff_fffe);
    m.observe(0xffff_ffff);
    m.observe(1); // 0 was lost
    expect(m.expected).toBe(4);
    expect(m.lost).toBe(1);
  });
});

const offerWith = (media: string) =>
  [
    'v=0',
    'o=- 1 0 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    ...media.split('\n'),
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'a=mid:1',
    'a=sctp-port:5000',
    '',
  ].join('\r\n');

describe('sdpHasPacketTrack', () => {
  it('is true for a sendrecv video section with the packet codec (either stack’s spelling)', () => {
    expect(
      sdpHasPacketTrack(
        offerWith('m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:0\na=sendrecv\na=rtpmap:96 rtcmesh/90000'),
      ),
    ).toBe(true);
    // No direction attribute means sendrecv; codec names are case-insensitive.
    expect(
      sdpHasPacketTrack(offerWith('m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:0\na=rtpmap:96 RTCMESH/90000')),
    ).toBe(true);
  });

  it('is false when the section is rejected, one-way, inactive, missing, or carries another codec', () => {
    expect(
      sdpHasPacketTrack(
        offerWith('m=video 0 UDP/TLS/RTP/SAVPF 96\na=mid:0\na=inactive\na=rtpmap:96 rtcmesh/90000'),
      ),
    ).toBe(false);
    for (const dir of ['sendonly', 'recvonly', 'inactive'])
      expect(
        sdpHasPacketTrack(
          offerWith(`m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:0\na=${dir}\na=rtpmap:96 rtcmesh/90000`),
        ),
      ).toBe(false);
    expect(sdpHasPacketTrack(offerWith(''))).toBe(false);
    expect(
      sdpHasPacketTrack(offerWith('m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:0\na=rtpmap:96 VP8/90000')),
    ).toBe(false);
    expect(
      sdpHasPacketTrack(offerWith('m=audio 9 UDP/TLS/RTP/SAVPF 96\na=mid:0\na=rtpmap:96 rtcmesh/90000')),
    ).toBe(false);
  });
});
