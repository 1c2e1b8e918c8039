import type { z } from 'zod';
import { CLIENT_MESSAGE_TYPES, type ClientMessage, ClientMessageSchema } from './client-messages.js';
import { ErrorCode } from './codes.js';
import { LIMITS } from './limits.js';
import { SERVER_MESSAGE_TYPES, type ServerMessage, ServerMessageSchema } from './server-messages.js';

/** Raw WebSocket data as `ws` or a browser hands it over. */
export type RawMessage = string | Uint8Array | ArrayBuffer | readonly Uint8Array[];

export type ParseFailure = {
  ok: false;
  code: ErrorCode;
  /** Human-readable reason, safe to send back to the peer. */
  error: string;
  /** The message's `id` when it could be read, so an error reply can reference it. */
  ref?: string;
};
export type ParseResult<T> = { ok: true; message: T } | ParseFailure;

export type ParseOptions = { maxBytes?: number };

const decoder = new TextDecoder('utf-8', { fatal: true });

function byteLength(raw: RawMessage): number {
  if (typeof raw === 'string')
    return raw.length * 3 >= LIMITS.maxMessageBytes ? new TextEncoder().encode(raw).length : raw.length;
  if (raw instanceof ArrayBuffer) return raw.byteLength;
  if (raw instanceof Uint8Array) return raw.byteLength;
  let n = 0;
  for (const part of raw) n += part.byteLength;
  return n;
}

function toText(raw: RawMessage): string {
  if (typeof raw === 'string') return raw;
  if (raw instanceof ArrayBuffer) return decoder.decode(new Uint8Array(raw));
  if (raw instanceof Uint8Array) return decoder.decode(raw);
  const total = byteLength(raw);
  const joined = new Uint8Array(total);
  let off = 0;
  for (const part of raw) {
    joined.set(part, off);
    off += part.byteLength;
  }
  return decoder.decode(joined);
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

function parseWith<T>(
  raw: RawMessage,
  schema: z.ZodType<T>,
  knownTypes: readonly string[],
  options: ParseOptions,
): ParseResult<T> {
  const max = options.maxBytes ?? LIMITS.maxMessageBytes;
  if (byteLength(raw) > max)
    return { ok: false, code: ErrorCode.TooLarge, error: `message larger than ${max} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(toText(raw));
  } catch {
    return { ok: false, code: ErrorCode.BadJson, error: 'message is not valid UTF-8 JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: ErrorCode.BadMessage, error: 'message must be a JSON object' };
  }
  const obj = value as Record<string, unknown>;
  const ref = typeof obj.id === 'string' && obj.id.length <= 64 ? obj.id : undefined;
  const withRef = <R extends ParseFailure>(f: R): R => (ref === undefined ? f : { ...f, ref });
  if (typeof obj.type !== 'string') {
    return withRef({ ok: false, code: ErrorCode.BadMessage, error: 'message has no string "type"' });
  }
  if (!knownTypes.includes(obj.type)) {
    return withRef({
      ok: false,
      code: ErrorCode.UnknownType,
      error: `unknown message type "${obj.type.slice(0, 32)}"`,
    });
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    return withRef({
      ok: false,
      code: ErrorCode.InvalidMessage,
      error: `invalid ${obj.type}: ${describeIssues(result.error)}`,
    });
  }
  return { ok: true, message: result.data };
}

/** Parses what a client sent. Never throws. */
export function parseClientMessage(raw: RawMessage, options: ParseOptions = {}): ParseResult<ClientMessage> {
  return parseWith(raw, ClientMessageSchema, CLIENT_MESSAGE_TYPES, options);
}

/**
 * Parses what the server sent. Never throws. Clients should ignore (log) `unknown-type` failures:
 * a newer server may add message types within the same protocol version.
 */
export function parseServerMessage(raw: RawMessage, options: ParseOptions = {}): ParseResult<ServerMessage> {
  return parseWith(raw, ServerMessageSchema, SERVER_MESSAGE_TYPES, {
    maxBytes: options.maxBytes ?? 16 * 1024 * 1024,
  });
}

/** Serializes a message for the wire (JSON). Typed so only valid shapes compile. */
export function encodeMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}
