/** Reported to the server and in `rtcmesh status`. */
export const AGENT_VERSION = '0.1.0';
