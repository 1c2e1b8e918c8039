import { z } from 'zod';

/** Control channel messages (JSON text, reliable ordered channel). */
export type ControlMessage =
  | { t: 'ping'; id: number }
  | { t: 'pong'; id: number }
  /**
   * What this side receives on, sent when a generation opens: `track` true = frames may be sent on
   * the packet track (RTP). A peer that never says so (older agents) gets frames on the data channel.
   */
  | { t: 'caps'; track: boolean }
  /** Application message (link-local exchanges of the agent); body is validated by its consumer. */
  | { t: 'msg'; body: unknown };

export const MAX_CONTROL_MESSAGE_LENGTH = 16 * 1024;

const controlMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('ping'), id: z.number().int().nonnegative() }),
  z.object({ t: z.literal('pong'), id: z.number().int().nonnegative() }),
  z.object({ t: z.literal('caps'), track: z.boolean() }),
  z.object({ t: z.literal('msg'), body: z.unknown() }),
]);

export function parseControlMessage(text: string): ControlMessage | undefined {
  if (text.length > MAX_CONTROL_MESSAGE_LENGTH) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = controlMessageSchema.safeParse(raw);
  return r.success ? (r.data as ControlMessage) : undefined;
}
