import { Command } from 'commander';
import { LocalApiClientError } from '../localapi/client.js';
import { AGENT_VERSION } from '../version.js';
import { addDownCommand, addRekeyCommand, addSetCommand } from './control-commands.js';
import { addNetcheckCommand, addPingCommand, addStatusCommand } from './inspect-commands.js';
import { addUpCommand } from './up-command.js';

/** Restated here so the CLI does not load the WebRTC stacks before it needs them. */

const program = new Command()
  .name('rtcmesh')
  .description('rtcmesh agent: joins this host to an rtcmesh overlay network')
  .version(AGENT_VERSION)
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Exit codes:
  0   done (rtcmesh up: stopped by SIGTERM/SIGINT or rtcmesh down)
  1   an error: bad flags, the device or the network changed under the agent, no reply to rtcmesh ping
  3   no agent is running with this state directory (status, ping, set, down, rekey)
  78  rtcmesh up: an admin removed this node (systemd: RestartPreventExitStatus=78)`,
  );

// In the order `rtcmesh --help` lists them.
addUpCommand(program);
addStatusCommand(program);
addPingCommand(program);
addSetCommand(program);
addNetcheckCommand(program);
addRekeyCommand(program);
addDownCommand(program);

program
  .parseAsync(process.argv)
  // Leave once the work is done, with its exit code: a socket some library left open (a werift
  // connection, a probe still waiting for a STUN answer) must not keep a stopped agent alive.
  .then(() => process.exit(process.exitCode ?? 0))
  .catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`rtcmesh: ${message}\n`);
    process.exit(err instanceof LocalApiClientError && err.code === 'not-running' ? 3 : 1);
  });
