import { type ChannelConfig, CONTROL_CHANNEL_ID, PACKET_CHANNEL_ID } from '../link-connection.js';

/**
 * The `packet` channel as both stacks create it. Unordered, no retransmission: one frame per message;
 * a reliable channel would put TCP inside TCP-like recovery and melt down under loss.
 */
export const PACKET_CHANNEL: ChannelConfig = {
  ordered: false,
  maxRetransmits: 0,
  negotiated: true,
  id: PACKET_CHANNEL_ID,
};

/** The `control` channel as both stacks create it: reliable, ordered. */
export const CONTROL_CHANNEL: ChannelConfig = {
  ordered: true,
  maxRetransmits: null,
  negotiated: true,
  id: CONTROL_CHANNEL_ID,
};

/** A data channel message as the stacks hand it over. */
export type ChannelMessage = string | Buffer | ArrayBuffer;

/** A `packet` channel message as a frame; null for text (the packet channel carries binary frames only). */
export function frameOf(data: ChannelMessage): Buffer | null {
  if (typeof data === 'string') return null;
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** A `control` channel message as text (UTF-8, whether the peer's stack sent it as a string or binary). */
export function textOf(data: ChannelMessage): string {
  if (typeof data === 'string') return data;
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}
