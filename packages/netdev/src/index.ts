export {
  type DeviceAccessProbe,
  diagnoseDeviceAccess,
  ensureCanCreateDevices,
  probeDeviceAccess,
  TUN_PATH,
} from './access.js';
export {
  NetDevAddonError,
  NetDevBusyError,
  NetDevClosedError,
  NetDevCommandError,
  NetDevError,
  type NetDevErrorCode,
  NetDevInvalidArgumentError,
  NetDevIoError,
  NetDevPermissionError,
  NetDevUnavailableError,
} from './errors.js';
export {
  buildNeighbourRequest,
  hasLinkAddress,
  interfaceIndex,
  type NeighbourEvent,
  NeighbourMonitor,
  type NeighbourMonitorHandlers,
  type NeighbourState,
  type NetlinkMessage,
  NUD,
  parseNetlinkMessages,
} from './neighbours.js';
export {
  type DeviceErrorHandler,
  type DeviceKind,
  type FramesHandler,
  MAX_FRAME_BYTES,
  NetDevice,
  type NetDeviceStats,
  type RouteOptions,
} from './net-device.js';
export {
  DEFAULT_MTU,
  DEFAULT_READ_BATCH,
  DEFAULT_WRITE_QUEUE_LIMIT,
  type OpenDeviceOptions,
  type OpenTapOptions,
  type OpenTunOptions,
  openTap,
  openTun,
} from './open-device.js';
export { limitMallocArenas, raiseUdpSocketBuffers, UDP_SOCKET_BUFFER_BYTES } from './socket-buffers.js';
export { parseCidr, validateInterfaceName, validateMac, validateMtu } from './validate.js';
