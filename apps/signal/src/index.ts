export { adminSocketPath } from './admin-socket.js';
export { ADMIN_TOKEN_FILE } from './auth/admin-token.js';
export type { ControlPlane } from './control-plane/control-plane.js';
export { ControlPlaneError } from './control-plane/errors.js';
export type { SignalServerOptions } from './options.js';
export { type SignalServer, startSignalServer } from './server.js';
export { SERVER_VERSION } from './version.js';
