import { type Command, InvalidArgumentError, Option } from 'commander';
import { LOG_LEVELS, type LogLevel } from '../agent/agent-logger.js';
import { formatMobilitySpec, type MobilitySpec } from '../mobility/mobility-spec.js';
import { collectMobilityOrNone, parseCidrListOrNone } from './arg-parsers.js';
import { formatSettings } from './format.js';
import { client, stateOption } from './local-agent.js';

/** The commands that change the running agent: its settings, its key, whether it runs. */

export function addSetCommand(program: Command): void {
  program
    .command('set')
    .description(
      "change settings of the running agent, live (links stay up): routes it advertises, whether it takes its peers' routes, its log level",
    )
    .option(
      '--advertise-routes <cidrs>',
      'L3: the subnets this node routes for the overlay, comma separated ("" for none)',
      parseCidrListOrNone,
    )
    .option('--accept-routes', 'L3: install the subnet routes peers advertise')
    .option('--no-accept-routes', 'L3: stop installing them (the kernel routes go)')
    .option(
      '--mobility <bridge=prefix[,gateway=ip][,mac=mac]>',
      'L3: the workload prefixes this site is the anycast gateway of, replacing the current list (repeat for several; "" for none). Prefixes that stay keep their hosts',
      collectMobilityOrNone,
    )
    .addOption(new Option('--log-level <level>', 'log level from now on').choices(LOG_LEVELS))
    .addOption(stateOption())
    .option('--json', 'print the settings in effect as JSON')
    .action(
      async (opts: {
        advertiseRoutes?: string[];
        acceptRoutes?: boolean;
        logLevel?: LogLevel;
        mobility?: MobilitySpec[];
        state: string;
        json?: boolean;
      }) => {
        const req = {
          ...(opts.advertiseRoutes ? { advertiseRoutes: opts.advertiseRoutes } : {}),
          ...(opts.mobility ? { mobility: opts.mobility.map(formatMobilitySpec) } : {}),
          ...(opts.acceptRoutes !== undefined ? { acceptRoutes: opts.acceptRoutes } : {}),
          ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
        };
        if (Object.keys(req).length === 0)
          throw new InvalidArgumentError('nothing to set (see rtcmesh set --help)');
        const s = await client(opts).set(req);
        process.stdout.write(opts.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatSettings(s)}\n`);
      },
    );
}

export function addRekeyCommand(program: Command): void {
  program
    .command('rekey')
    .description('rotate the node key: the server and every peer switch to the new key; links stay up')
    .addOption(stateOption())
    .action(async (opts: { state: string }) => {
      const r = await client(opts).rekey();
      process.stdout.write(`node key rotated\nold ${r.previousPublicKey}\nnew ${r.publicKey}\n`);
    });
}

export function addDownCommand(program: Command): void {
  program
    .command('down')
    .description('stop the agent: close links, remove the device, leave the network session')
    .addOption(stateOption())
    .action(async (opts: { state: string }) => {
      await client(opts).down();
      process.stdout.write('agent stopping\n');
    });
}
