export { adminSocketPath } from './admin-socket.js';
export { ADMIN_TOKEN_FILE } from './auth/admin-token.js';
export { MeshError } from './mesh/errors.js';
export type { Mesh } from './mesh/mesh.js';
export type { SignalServerOptions } from './options.js';
export { type SignalServer, startSignalServer } from './server.js';
export { SERVER_VERSION } from './version.js';
