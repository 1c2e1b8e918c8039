import { describe, expect, it } from 'vitest';
import { CONTROL_CHANNEL_ID, PACKET_CHANNEL_ID } from '../link-connection.js';
import { CONTROL_CHANNEL, frameOf, PACKET_CHANNEL, textOf } from './link-channels.js';
import { ndcChannelInit } from './ndc-peer-config.js';
import { weriftChannelInit } from './werift-peer-config.js';

describe('the two data channels', () => {
  it('packet: unordered, no retransmission; control: reliable, ordered; both negotiated', () => {
    expect(PACKET_CHANNEL).toEqual({
      ordered: false,
      maxRetransmits: 0,
      negotiated: true,
      id: PACKET_CHANNEL_ID,
    });
    expect(CONTROL_CHANNEL).toEqual({
      ordered: true,
      maxRetransmits: null,
      negotiated: true,
      id: CONTROL_CHANNEL_ID,
    });
  });

  it('are asked of werift with its option names (reliable: no maxRetransmits at all)', () => {
    expect(weriftChannelInit(PACKET_CHANNEL)).toStrictEqual({
      negotiated: true,
      id: PACKET_CHANNEL_ID,
      ordered: false,
      maxRetransmits: 0,
    });
    expect(weriftChannelInit(CONTROL_CHANNEL)).toStrictEqual({
      negotiated: true,
      id: CONTROL_CHANNEL_ID,
      ordered: true,
    });
  });

  it('are asked of libdatachannel with its option names (its defaults left out)', () => {
    expect(ndcChannelInit(PACKET_CHANNEL)).toStrictEqual({
      negotiated: true,
      id: PACKET_CHANNEL_ID,
      unordered: true,
      maxRetransmits: 0,
    });
    expect(ndcChannelInit(CONTROL_CHANNEL)).toStrictEqual({ negotiated: true, id: CONTROL_CHANNEL_ID });
  });
});

describe('channel messages', () => {
  it('a packet message is a binary frame; text is no frame', () => {
    const b = Buffer.from([1, 2, 3]);
    expect(frameOf(b)).toBe(b);
    expect(frameOf(new Uint8Array([4, 5]).buffer)).toEqual(Buffer.from([4, 5]));
    expect(frameOf(Buffer.alloc(0))).toEqual(Buffer.alloc(0));
    expect(frameOf('text')).toBeNull();
  });

  it('a control message is UTF-8 text however the peer sent it', () => {
    expect(textOf('{"t":"caps"}')).toBe('{"t":"caps"}');
    expect(textOf(Buffer.from('päng', 'utf8'))).toBe('päng');
    expect(textOf(new Uint8Array(Buffer.from('ok', 'utf8')).buffer)).toBe('ok');
  });
});
