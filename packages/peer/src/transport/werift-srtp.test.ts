import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  RtpPacket,
  SrtpSession,
} from 'werift';

/**
 * The packet track's receive path on werift depends on patch 9 of patches/werift@0.25.2.patch
 * (RFC 3711 rollover-counter estimation). Unpatched, a burst of loss across a sequence-number wrap
 * (normal for a tunnel under a flood: 65 536 packets take well under a second) left the counter one
 * behind, and every later packet of the link failed authentication: the link carried nothing more.
 */
describe.each([
  ['AEAD_AES_128_GCM', ProtectionProfileAeadAes128Gcm],
  ['AES_CM_128_HMAC_SHA1_80', ProtectionProfileAes128CmHmacSha1_80],
] as const)('werift SRTP receiver (%s)', (_name, profile) => {
  function sessions(): { tx: SrtpSession; rx: SrtpSession } {
    const key = randomBytes(16);
    const salt = randomBytes(profile === ProtectionProfileAeadAes128Gcm ? 12 : 14);
    const otherKey = randomBytes(16);
    const otherSalt = randomBytes(salt.length);
    const tx = new SrtpSession({
      profile,
      keys: {
        localMasterKey: key,
        localMasterSalt: salt,
        remoteMasterKey: otherKey,
        remoteMasterSalt: otherSalt,
      },
    });
    const rx = new SrtpSession({
      profile,
      keys: {
        localMasterKey: otherKey,
        localMasterSalt: otherSalt,
        remoteMasterKey: key,
        remoteMasterSalt: salt,
      },
    });
    return { tx, rx };
  }

  function encrypt(tx: SrtpSession, index: number): Buffer {
    const header = new RtpHeader({
      payloadType: 96,
      sequenceNumber: index & 0xffff,
      timestamp: index,
      ssrc: 42,
    });
    const payload = Buffer.alloc(32);
    payload.writeUInt32BE(index, 0);
    return tx.encrypt(payload, header);
  }

  function decryptIndex(rx: SrtpSession, packet: Buffer): number | null {
    try {
      return RtpPacket.deSerialize(rx.decrypt(packet)).payload.readUInt32BE(0);
    } catch {
      return null;
    }
  }

  it('keeps authenticating after a burst of loss across the sequence-number wrap, and after reordering', () => {
    const { tx, rx } = sessions();
    const sent = Array.from({ length: 140_000 }, (_, i) => encrypt(tx, i));
    // Received: everything up to 65 000, nothing until 66 000 (the wrap at 65 536 lost), then a gap
    // of 30 000 (under 2^15) across the second wrap at 131 072, and a few packets swapped around it.
    const order = [
      ...range(0, 65_000),
      ...range(66_000, 100_000),
      ...range(130_000, 131_070),
      131_075,
      131_071,
      131_073,
      131_072,
      131_074,
      ...range(131_076, 140_000),
    ];
    let bad = 0;
    for (const i of order) if (decryptIndex(rx, sent[i]!) !== i) bad++;
    expect(bad).toBe(0);
  });

  it('still refuses a forged or corrupted packet', () => {
    const { tx, rx } = sessions();
    expect(decryptIndex(rx, encrypt(tx, 0))).toBe(0);
    const corrupted = Buffer.from(encrypt(tx, 1));
    corrupted[corrupted.length - 20]! ^= 0x01;
    expect(decryptIndex(rx, corrupted)).toBeNull();
    // The failed packet did not move the receiver's state: the next one still authenticates.
    expect(decryptIndex(rx, encrypt(tx, 2))).toBe(2);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
