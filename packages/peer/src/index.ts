export {
  CandidateAddressFilter,
  type CandidateAddressOptions,
  candidateAddress,
  candidateType,
} from './addressFilter.js';
export {
  backoffDelay,
  type ConnectPlan,
  connectPlans,
  type IceServer,
  iceServersForPlan,
  planOfGeneration,
} from './connectPlan.js';
export { type ControlMessage, parseControlMessage } from './controlMessage.js';
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
} from './linkConnection.js';
export { type LinkSignal, linkSignalSchema, parseLinkSignal } from './linkSignal.js';
export {
  type LinkState,
  type LinkStats,
  PeerLink,
  type PeerLinkOptions,
  type PingResult,
} from './peerLink.js';
export { ndcAvailability } from './transport/ndcConnection.js';
export { werift } from './transport/weriftModule.js';
