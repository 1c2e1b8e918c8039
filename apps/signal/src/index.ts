import { PROTOCOL_VERSION } from '@rtcmesh/protocol';
export const serverProtocol = PROTOCOL_VERSION;
