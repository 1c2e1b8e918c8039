import type { ErrorCode } from '@rtcmesh/protocol';

/** A refusal with a protocol error code and the HTTP status the REST API answers with. */
export class ControlPlaneError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 429 | 500 | 503 | 504 = 400,
  ) {
    super(message);
    this.name = 'ControlPlaneError';
  }
}
