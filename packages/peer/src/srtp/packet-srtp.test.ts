import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  RtpPacket,
  SrtpSession,
} from 'werift';
import { PACKET_PAYLOAD_TYPE } from '../packet-track.js';
import { PacketSrtp, REPLAY_WINDOW, type SrtpProfile, type SrtpSessionKeys } from './packet-srtp.js';

interface WeriftContext {
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
  srtpSessionAuthTag: Buffer;
}
const keysOf = (c: WeriftContext): SrtpSessionKeys => ({
  key: c.srtpSessionKey,
  salt: c.srtpSessionSalt,
  authKey: c.srtpSessionAuthTag,
});

/** A werift SRTP session and a PacketSrtp on the other end of the same keys. */
function ends(profile: SrtpProfile, start = 0) {
  const gcm = profile === 'aead-aes-128-gcm';
  const saltLength = gcm ? 12 : 14;
  const [k1, s1, k2, s2] = [
    randomBytes(16),
    randomBytes(saltLength),
    randomBytes(16),
    randomBytes(saltLength),
  ];
  const werift = new SrtpSession({
    profile: gcm ? ProtectionProfileAeadAes128Gcm : ProtectionProfileAes128CmHmacSha1_80,
    keys: { localMasterKey: k1, localMasterSalt: s1, remoteMasterKey: k2, remoteMasterSalt: s2 },
  });
  const ctx = werift as unknown as { localContext: WeriftContext; remoteContext: WeriftContext };
  // Ours sends with what werift receives with, and the other way round.
  const ours = new PacketSrtp(
    profile,
    keysOf(ctx.remoteContext),
    keysOf(ctx.localContext),
    0x1234_5678,
    start,
  );
  return { werift, ours };
}

function weriftPacket(werift: SrtpSession, index: number, payload: Buffer): Buffer {
  const header = new RtpHeader({
    payloadType: PACKET_PAYLOAD_TYPE,
    sequenceNumber: index % 65536,
    timestamp: index % 0x1_0000_0000,
    ssrc: 0x0bad_cafe,
  });
  return werift.encrypt(payload, header);
}

const payload = (i: number) => Buffer.from(`frame ${i} `.repeat(20));

describe.each(['aead-aes-128-gcm', 'aes-cm-128-hmac-sha1-80'] as const)('PacketSrtp (%s)', (profile) => {
  it('is standard SRTP: werift decrypts what it protects, and it unprotects what werift encrypts, across rollovers', () => {
    const { werift, ours } = ends(profile);
    for (let i = 0; i < 70_000; i++) {
      const mine = ours.protect(payload(i));
      const dec = RtpPacket.deSerialize(werift.decrypt(mine));
      if (i % 9973 === 0 || i === 65_536) {
        expect(dec.payload.equals(payload(i))).toBe(true);
        expect(dec.header.timestamp).toBe(i);
      }
      const theirs = ours.unprotect(weriftPacket(werift, i, payload(i)));
      if (theirs === null || !theirs.payload.equals(payload(i))) throw new Error(`packet ${i} lost`);
    }
  });

  it('refuses replays, indexes older than the window, tampered packets and other shapes of header', () => {
    const { werift, ours } = ends(profile);
    const packets = Array.from({ length: REPLAY_WINDOW + 20 }, (_, i) => weriftPacket(werift, i, payload(i)));
    expect(ours.unprotect(packets[5]!)?.index).toBe(5);
    expect(ours.unprotect(packets[5]!)).toBeNull(); // replay
    expect(ours.unprotect(packets[3]!)?.index).toBe(3); // late, but inside the window
    expect(ours.unprotect(packets[REPLAY_WINDOW + 19]!)?.index).toBe(REPLAY_WINDOW + 19);
    expect(ours.unprotect(packets[4]!)).toBeNull(); // now older than the window
    expect(ours.unprotect(packets[100]!)?.index).toBe(100); // still inside
    const tampered = Buffer.from(packets[200]!);
    tampered[20]! ^= 1;
    expect(ours.unprotect(tampered)).toBeNull();
    const header = Buffer.from(packets[201]!);
    header[7]! ^= 1; // timestamp (authenticated): the index no longer matches the sequence number
    expect(ours.unprotect(header)).toBeNull();
    const seq = Buffer.from(packets[202]!);
    seq[3]! ^= 1;
    seq[7]! ^= 1; // sequence number and timestamp changed together: the tag fails
    expect(ours.unprotect(seq)).toBeNull();
    expect(ours.unprotect(packets[200]!)?.index).toBe(200); // the untampered one still passes
    const otherType = Buffer.from(packets[203]!);
    otherType[1] = 97;
    expect(ours.unprotect(otherType)).toBeNull();
    expect(ours.unprotect(packets[203]!.subarray(0, 20))).toBeNull();
  });

  it('carries the index past 2^32 packets (the RTP timestamp wraps, the SRTP rollover counter does not)', () => {
    const start = 0x1_0000_0000 - 3;
    const keys: SrtpSessionKeys = {
      key: randomBytes(16),
      salt: randomBytes(profile === 'aead-aes-128-gcm' ? 12 : 14),
      authKey: randomBytes(20),
    };
    const sender = new PacketSrtp(profile, keys, keys, 1, start);
    const receiver = new PacketSrtp(profile, keys, keys, 2);
    const sent = Array.from({ length: 6 }, (_, i) => sender.protect(payload(i)));
    expect(sent.map((p) => p.readUInt32BE(4))).toEqual([0xffff_fffd, 0xffff_fffe, 0xffff_ffff, 0, 1, 2]);
    // The receiver extends the low 32 bits 0, 1, 2 to 2^32 .. 2^32 + 2: the rollover counter used to
    // decrypt them is 65536, as the sender's was. A receiver that did not would fail every one.
    expect(sent.map((p) => receiver.unprotect(p)?.payload.toString())).toEqual(
      Array.from({ length: 6 }, (_, i) => payload(i).toString()),
    );
  });
});
