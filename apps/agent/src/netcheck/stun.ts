import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Just enough STUN (RFC 5389) and TURN (RFC 8656) to probe reachability: Binding requests that
 * reveal the mapped address, and an authenticated Allocate that proves a TURN server accepts our
 * minted credentials on a given transport. Every decoder is total: malformed bytes yield `null`.
 */
export const MAGIC_COOKIE = 0x2112a442;
export const BINDING_REQUEST = 0x0001;
export const BINDING_SUCCESS = 0x0101;
export const ALLOCATE_REQUEST = 0x0003;
export const ALLOCATE_SUCCESS = 0x0103;
export const ALLOCATE_ERROR = 0x0113;
export const REFRESH_REQUEST = 0x0004;

const ATTR_USERNAME = 0x0006;
const ATTR_MESSAGE_INTEGRITY = 0x0008;
const ATTR_ERROR_CODE = 0x0009;
const ATTR_REALM = 0x0014;
const ATTR_NONCE = 0x0015;
const ATTR_XOR_RELAYED_ADDRESS = 0x0016;
const ATTR_REQUESTED_TRANSPORT = 0x0019;
const ATTR_XOR_MAPPED_ADDRESS = 0x0020;
const ATTR_MAPPED_ADDRESS = 0x0001;
const ATTR_LIFETIME = 0x000d;

export interface StunAttribute {
  type: number;
  value: Buffer;
}

export interface StunMessage {
  type: number;
  transactionId: Buffer;
  attributes: StunAttribute[];
}

export interface TransportAddress {
  family: 4 | 6;
  address: string;
  port: number;
}

export function newTransactionId(): Buffer {
  return randomBytes(12);
}

export function encodeStun(type: number, transactionId: Buffer, attributes: StunAttribute[]): Buffer {
  const body = Buffer.concat(attributes.map(encodeAttribute));
  const header = Buffer.alloc(20);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(body.length, 2);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(header, 8);
  return Buffer.concat([header, body]);
}

function encodeAttribute(a: StunAttribute): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(a.value.length / 4) * 4);
  padded.writeUInt16BE(a.type, 0);
  padded.writeUInt16BE(a.value.length, 2);
  a.value.copy(padded, 4);
  return padded;
}

/** Appends MESSAGE-INTEGRITY (long-term credentials) to an encoded message. */
export function withIntegrity(message: Buffer, key: Buffer): Buffer {
  // The length field must already count the 24-byte MESSAGE-INTEGRITY attribute when hashing.
  const copy = Buffer.from(message);
  copy.writeUInt16BE(copy.length - 20 + 24, 2);
  const hmac = createHmac('sha1', key).update(copy).digest();
  return Buffer.concat([copy, encodeAttribute({ type: ATTR_MESSAGE_INTEGRITY, value: hmac })]);
}

export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`).digest();
}

/** Length of the STUN message at the start of `buf`, or null if it is not one (yet). For TCP framing. */
export function stunMessageLength(buf: Buffer): number | null {
  if (buf.length < 20) return null;
  if (buf.readUInt32BE(4) !== MAGIC_COOKIE) return null;
  return 20 + buf.readUInt16BE(2);
}

export function decodeStun(buf: Buffer): StunMessage | null {
  if (buf.length < 20 || (buf[0]! & 0xc0) !== 0) return null;
  if (buf.readUInt32BE(4) !== MAGIC_COOKIE) return null;
  const length = buf.readUInt16BE(2);
  if (length % 4 !== 0 || 20 + length > buf.length) return null;
  const attributes: StunAttribute[] = [];
  let off = 20;
  const end = 20 + length;
  while (off + 4 <= end) {
    const type = buf.readUInt16BE(off);
    const len = buf.readUInt16BE(off + 2);
    if (off + 4 + len > end) return null;
    attributes.push({ type, value: buf.subarray(off + 4, off + 4 + len) });
    off += 4 + Math.ceil(len / 4) * 4;
  }
  return { type: buf.readUInt16BE(0), transactionId: buf.subarray(8, 20), attributes };
}

export function attribute(msg: StunMessage, type: number): Buffer | undefined {
  return msg.attributes.find((a) => a.type === type)?.value;
}

function decodeAddress(value: Buffer, xor: boolean, transactionId: Buffer): TransportAddress | null {
  if (value.length < 8) return null;
  const familyCode = value[1];
  let port = value.readUInt16BE(2);
  if (xor) port ^= MAGIC_COOKIE >>> 16;
  if (familyCode === 0x01) {
    const raw = Buffer.from(value.subarray(4, 8));
    if (xor) for (let i = 0; i < 4; i++) raw[i]! ^= (MAGIC_COOKIE >>> (24 - 8 * i)) & 0xff;
    return { family: 4, address: Array.from(raw).join('.'), port };
  }
  if (familyCode === 0x02 && value.length >= 20) {
    const raw = Buffer.from(value.subarray(4, 20));
    if (xor) {
      const mask = Buffer.alloc(16);
      mask.writeUInt32BE(MAGIC_COOKIE, 0);
      transactionId.copy(mask, 4);
      for (let i = 0; i < 16; i++) raw[i]! ^= mask[i]!;
    }
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
    return { family: 6, address: groups.join(':'), port };
  }
  return null;
}

export function mappedAddress(msg: StunMessage): TransportAddress | null {
  const xorValue = attribute(msg, ATTR_XOR_MAPPED_ADDRESS);
  if (xorValue) return decodeAddress(xorValue, true, msg.transactionId);
  const plain = attribute(msg, ATTR_MAPPED_ADDRESS);
  return plain ? decodeAddress(plain, false, msg.transactionId) : null;
}

export function relayedAddress(msg: StunMessage): TransportAddress | null {
  const v = attribute(msg, ATTR_XOR_RELAYED_ADDRESS);
  return v ? decodeAddress(v, true, msg.transactionId) : null;
}

export function errorCode(msg: StunMessage): { code: number; reason: string } | null {
  const v = attribute(msg, ATTR_ERROR_CODE);
  if (!v || v.length < 4) return null;
  return { code: (v[2]! & 0x7) * 100 + v[3]!, reason: v.subarray(4).toString('utf8') };
}

export function bindingRequest(transactionId = newTransactionId()): Buffer {
  return encodeStun(BINDING_REQUEST, transactionId, []);
}

export interface TurnAuth {
  username: string;
  password: string;
  realm: Buffer;
  nonce: Buffer;
}

/** An unauthenticated Allocate (answered with 401 + realm + nonce) or an authenticated one. */
export function allocateRequest(transactionId: Buffer, auth?: TurnAuth): Buffer {
  const attrs: StunAttribute[] = [{ type: ATTR_REQUESTED_TRANSPORT, value: Buffer.from([17, 0, 0, 0]) }];
  return auth
    ? authenticated(ALLOCATE_REQUEST, transactionId, attrs, auth)
    : encodeStun(ALLOCATE_REQUEST, transactionId, attrs);
}

/** Refresh with LIFETIME 0 releases the probe's allocation at once instead of leaving it to expire. */
export function releaseRequest(transactionId: Buffer, auth: TurnAuth): Buffer {
  return authenticated(
    REFRESH_REQUEST,
    transactionId,
    [{ type: ATTR_LIFETIME, value: Buffer.alloc(4) }],
    auth,
  );
}

function authenticated(type: number, transactionId: Buffer, attrs: StunAttribute[], auth: TurnAuth): Buffer {
  const all = [
    ...attrs,
    { type: ATTR_USERNAME, value: Buffer.from(auth.username, 'utf8') },
    { type: ATTR_REALM, value: auth.realm },
    { type: ATTR_NONCE, value: auth.nonce },
  ];
  const key = longTermKey(auth.username, auth.realm.toString('utf8'), auth.password);
  return withIntegrity(encodeStun(type, transactionId, all), key);
}

export function realmAndNonce(msg: StunMessage): { realm: Buffer; nonce: Buffer } | null {
  const realm = attribute(msg, ATTR_REALM);
  const nonce = attribute(msg, ATTR_NONCE);
  return realm && nonce ? { realm, nonce } : null;
}
