import { describe, expect, it } from 'vitest';
import type { RTCPeerConnection } from 'werift';
import { socketQueueBytes } from './werift-socket-queue.js';

const pcWith = (protocol: unknown) =>
  ({
    iceTransports: [{ connection: { nominated: protocol === undefined ? undefined : { protocol } } }],
  }) as unknown as RTCPeerConnection;

describe('socketQueueBytes', () => {
  it("reads libuv's queue of the nominated pair's UDP socket, direct or through TURN over UDP", () => {
    expect(socketQueueBytes(pcWith({ transport: { socket: { getSendQueueSize: () => 1234 } } }))).toBe(1234);
    expect(
      socketQueueBytes(pcWith({ turn: { transport: { socket: { getSendQueueSize: () => 56 } } } })),
    ).toBe(56);
  });

  it('reads the write buffer of a TURN TCP/TLS connection', () => {
    expect(
      socketQueueBytes(pcWith({ turn: { transport: { stream: { client: { writableLength: 789 } } } } })),
    ).toBe(789);
  });

  it('is null without a nominated pair, or where the socket is not found', () => {
    expect(socketQueueBytes({ iceTransports: [] } as unknown as RTCPeerConnection)).toBeNull();
    expect(socketQueueBytes(pcWith(undefined))).toBeNull();
    expect(socketQueueBytes(pcWith({}))).toBeNull();
    expect(socketQueueBytes(pcWith({ transport: { socket: {} } }))).toBeNull();
  });
});
