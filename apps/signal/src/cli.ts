import { Command } from 'commander';
import { AdminRequestError } from './cli/admin-client.js';
import { registerAdminCommands, registerSecurityCommands } from './cli/admin-commands.js';
import { registerLockCommands } from './cli/lock-commands.js';
import { registerPolicyCommands } from './cli/policy-commands.js';
import { registerRouteCommands } from './cli/route-commands.js';
import { registerServeCommand } from './cli/serve-command.js';
import { SERVER_VERSION } from './version.js';

const program = new Command('rtcmesh-signal')
  .description('rtcmesh signaling server and its admin commands')
  .version(SERVER_VERSION)
  .showHelpAfterError();
registerServeCommand(program);
registerAdminCommands(program);
registerSecurityCommands(program);
registerLockCommands(program);
registerPolicyCommands(program);
registerRouteCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const msg =
    err instanceof AdminRequestError
      ? `${err.message} (${err.code})`
      : err instanceof Error
        ? err.message
        : String(err);
  process.stderr.write(`rtcmesh-signal: ${msg}\n`);
  process.exit(1);
});
