/** The local TAP/TUN device's port. */
export const LOCAL_PORT = 'local';
export type LocalPort = typeof LOCAL_PORT;
/** A peer's port is its node id. */
export type PeerId = string;
/** A switch/router port: the local device or a peer. */
export type PortId = LocalPort | PeerId;

/** Node ids that cannot name a peer: empty, too long, or the local port's name. */
export function checkPeerId(id: string): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > 256 || id === LOCAL_PORT) {
    throw new Error(
      `invalid peer id ${JSON.stringify(id)}: must be 1-256 characters and not '${LOCAL_PORT}'`,
    );
  }
}
