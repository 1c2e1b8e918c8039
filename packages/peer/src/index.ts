export {
  CandidateAddressFilter,
  type CandidateAddressOptions,
  candidateAddress,
  candidateType,
} from './address-filter.js';
export {
  type ConnectPlan,
  connectPlans,
  type IceServer,
  iceServersForPlan,
  planOfGeneration,
} from './connect-plan.js';
export { type ControlMessage, parseControlMessage } from './control-message.js';
export {
  type ChannelConfig,
  CONTROL_CHANNEL_ID,
  isPeerTransport,
  isTransportPreference,
  PACKET_CHANNEL_ID,
  type PathInfo,
  PEER_TRANSPORTS,
  type PeerTransport,
  TRANSPORT_PREFERENCES,
  type TransportPreference,
} from './link-connection.js';
export { type LinkSignal, linkSignalSchema, parseLinkSignal } from './link-signal.js';
export {
  type LinkState,
  type LinkStats,
  PeerLink,
  type PeerLinkOptions,
  type PingResult,
} from './peer-link.js';
export { ndcAvailability } from './transport/ndc-addon.js';
export { werift } from './transport/werift-module.js';
