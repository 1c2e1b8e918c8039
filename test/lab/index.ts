/**
 * The network-namespace lab: declare a world of NATed sites and a public server, run real processes
 * in it, impair and cut links during a test. See README.md.
 */
import { reapStale } from './names.js';
import { labSkipReason, missingPrerequisites, requirePrerequisites } from './prerequisites.js';
import { World } from './world.js';

export { type Coturn, type CoturnOptions, startCoturn, turnCredentials } from './coturn.js';
export { type ExecOptions, type ExecResult, execCommand } from './exec.js';
export { LabHost, LabServer } from './host.js';
export { type ExitInfo, ManagedProcess, type OutputLine, type SpawnOptions } from './managed-process.js';
export { labNamespaces, listNamespaces, reapStale } from './names.js';
export { labSkipReason, missingPrerequisites, requirePrerequisites } from './prerequisites.js';
export {
  type Endpoint,
  type MappingProbe,
  NETTOOL_SCRIPT,
  probeMapping,
  probeTcp,
  startReflector,
  stunBinding,
  UdpPeer,
} from './reflector/index.js';
export type { ShaperKind } from './shaper.js';
export {
  type HostSpec,
  INTERNET,
  type LinkShape,
  type NatType,
  type ServerSpec,
  type SiteSpec,
  type WorldSpec,
} from './spec.js';
export { type LabSite, World } from './world.js';

/** Entry points, as the tests use them: `Lab.build({...})`, `Lab.requirePrerequisites()`. */
export const Lab = {
  build: World.build,
  requirePrerequisites,
  missingPrerequisites,
  labSkipReason,
  reapStale,
} as const;
