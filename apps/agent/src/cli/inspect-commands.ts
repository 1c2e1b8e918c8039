import type { Command } from 'commander';
import { LocalApiClientError } from '../localapi/client.js';
import type { NetcheckReport } from '../localapi/schema.js';
import { StateDir } from '../state/state-dir.js';
import { parsePositiveInt } from './arg-parsers.js';
import { formatNetcheck, formatStatus } from './format.js';
import { client, stateOption } from './local-agent.js';

/** The commands that look at the mesh from this node without changing anything. */

export function addStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show this node, the server connection and every peer link')
    .addOption(stateOption())
    .option('--json', 'print JSON')
    .action(async (opts: { state: string; json?: boolean }) => {
      const status = await client(opts).status();
      process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`);
    });
}

export function addPingCommand(program: Command): void {
  program
    .command('ping')
    .description('ping a peer over its link (control channel) and print path and RTT')
    .argument('<peer>', 'peer name, node id or overlay address')
    .option('-c, --count <n>', 'number of pings', parsePositiveInt, 4)
    .option('-i, --interval <ms>', 'milliseconds between pings', parsePositiveInt, 1000)
    .addOption(stateOption())
    .action(async (peer: string, opts: { count: number; interval: number; state: string }) => {
      const api = client(opts);
      let ok = 0;
      for (let i = 0; i < opts.count; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, opts.interval));
        try {
          const r = await api.ping(peer);
          ok++;
          process.stdout.write(
            `pong from ${r.peer} via ${r.path ?? 'unknown path'}${r.remoteAddress ? ` ${r.remoteAddress}` : ''} in ${r.rttMs.toFixed(2)}ms\n`,
          );
        } catch (err) {
          if (
            err instanceof LocalApiClientError &&
            err.code !== 'timeout' &&
            err.code !== 'peer-not-connected'
          )
            throw err;
          process.stdout.write(`no reply from ${peer}: ${(err as Error).message}\n`);
        }
      }
      if (ok === 0) process.exitCode = 1;
    });
}

export function addNetcheckCommand(program: Command): void {
  program
    .command('netcheck')
    .description(
      'check UDP reachability, NAT mapping behaviour and TURN reachability (through the running agent, or without one from the servers of its cached network map)',
    )
    .addOption(stateOption())
    .option('--json', 'print JSON')
    .action(async (opts: { state: string; json?: boolean }) => {
      let report: NetcheckReport;
      let source: string | undefined;
      try {
        report = await client(opts).netcheck();
      } catch (err) {
        if (!(err instanceof LocalApiClientError) || err.code !== 'not-running') throw err;
        const { netcheckFromCachedMap } = await import('../netcheck/offline-netcheck.js');
        ({ report, source } = await netcheckFromCachedMap(new StateDir(opts.state)));
      }
      if (opts.json)
        process.stdout.write(`${JSON.stringify(source ? { ...report, source } : report, null, 2)}\n`);
      else process.stdout.write(`${source ? `(${source})\n` : ''}${formatNetcheck(report)}\n`);
    });
}
