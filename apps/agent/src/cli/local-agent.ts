import { Option } from 'commander';
import { LocalApiClient } from '../localapi/client.js';
import { DEFAULT_STATE_DIR, StateDir } from '../state/state-dir.js';

/** How a command finds the agent: `--state`, the agent's state directory (its local API socket is in it). */
export const stateOption = () =>
  new Option('--state <dir>', 'state directory of the agent').default(DEFAULT_STATE_DIR).env('RTCMESH_STATE');

/** The local API of the agent running with this state directory. */
export function client(opts: { state: string }): LocalApiClient {
  return new LocalApiClient(new StateDir(opts.state).socketPath);
}
