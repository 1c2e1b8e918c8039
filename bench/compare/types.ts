import type { MeshLab } from '../../test/e2e/mesh-lab.js';
import type { LabHost } from '../../test/lab/index.js';

/** The two endpoints and the lab they live in. */
export interface BenchContext {
  mesh: MeshLab;
  /** Sender side (iperf3 client, ping source). */
  a: LabHost;
  /** Receiver side (iperf3 server). */
  b: LabHost;
  /** Run index (names of per-run nodes). */
  run: number;
  /** Scratch directory for this run. */
  tmp: string;
}

/** A started path: what to ping, which processes are its daemons, how to stop it. */
export interface RunningPath {
  /** Address of b on this path, as seen from a. */
  target: string;
  /** PIDs of the endpoint daemons (CPU and RSS are read from /proc for these and their children). */
  daemonPids(): number[];
  stop(): Promise<void>;
}

export interface PathUnderTest {
  id: string;
  label: string;
  layer: 'underlay' | 'L2' | 'L3';
  /** Why this path cannot run here (missing binary...), or undefined. */
  unavailable(): Promise<string | undefined>;
  start(ctx: BenchContext): Promise<RunningPath>;
}
