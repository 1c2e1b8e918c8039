import { ErrorCode } from '@rtcmesh/protocol';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ControlPlaneError } from '../control-plane/errors.js';

/** The part of a zod schema readBody needs (keeps zod itself out of this package's dependencies). */
export type BodySchema<T> = {
  safeParse(
    v: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
};

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/** Reads and validates a JSON body; throws ControlPlaneError (answered as 400) on bad JSON or schema mismatch. */
export async function readBody<T>(c: Context, schema: BodySchema<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new ControlPlaneError(ErrorCode.BadJson, 'body is not valid JSON');
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const why = r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new ControlPlaneError(ErrorCode.InvalidMessage, why);
  }
  return r.data;
}

export function handleError(err: Error, c: Context): Response {
  if (err instanceof ControlPlaneError)
    return c.json(errorBody(err.code, err.message), err.status as ContentfulStatusCode);
  return c.json(errorBody(ErrorCode.Internal, 'internal error'), 500);
}
