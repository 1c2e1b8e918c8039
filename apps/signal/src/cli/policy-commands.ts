import { readFileSync } from 'node:fs';
import { parsePolicyJson } from '@rtcmesh/policy';
import type { NodeSummary, PolicyResponse } from '@rtcmesh/protocol';
import type { Command } from 'commander';
import { adminRequest } from './admin-client.js';
import { addTarget, nodePath, out, type TargetOpts, targetOf } from './admin-commands.js';

/**
 * `policy get|set` (the network's access policy, SECURITY.md "Between members of a network") and
 * `node tag` (the tags policies select nodes by).
 *
 * The network argument follows the one convention of every admin command: a command about a network
 * takes it as its first argument (`policy get <network>`, `route list <network>`, `key create
 * <network>`, `lock enable <network>`); a command about a node or a key takes `--network` to pick
 * among nodes of the same name or to filter a list. `--network` is still accepted here (older form).
 */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description("a network's access policy (ACLs)");
  addTarget(
    policy
      .command('get [network]')
      .description('print the policy JSON (version 0 and empty: none written, everything allowed)')
      .option('--network <network>', 'the network (older form of the argument)'),
  ).action(async (network: string | undefined, o: TargetOpts & { network?: string }) => {
    const r = await adminRequest<PolicyResponse>(
      targetOf(o),
      'GET',
      policyPath(networkArg(network, o.network)),
    );
    out(JSON.stringify(r.policy, null, 2));
  });

  addTarget(
    policy
      .command('set <network> [file]')
      .description(
        'replace the policy with FILE (JSON). Its "version" is the version you edited: if the policy changed since, nothing is written (409). Without "version", the current one is overwritten.',
      )
      .option('--network <network>', 'the network (older form: policy set FILE --network N)'),
  ).action(async (first: string, second: string | undefined, o: TargetOpts & { network?: string }) => {
    const [network, file] =
      second === undefined
        ? [networkArg(undefined, o.network), first]
        : [networkArg(first, o.network), second];
    const v = parsePolicyJson(readFileSync(file, 'utf8'));
    if (!v.ok) {
      for (const i of v.issues) process.stderr.write(`${file}: ${i.path}: ${i.message}\n`);
      throw new Error(`${file}: invalid policy, nothing written`);
    }
    const target = targetOf(o);
    const version =
      v.policy.version ??
      (await adminRequest<PolicyResponse>(target, 'GET', policyPath(network))).policy.version;
    const r = await adminRequest<PolicyResponse>(target, 'PUT', policyPath(network), {
      ...v.policy,
      version,
    });
    out(`policy of ${r.networkId} is now version ${r.policy.version}`);
  });

  const node = program.commands.find((c) => c.name() === 'node') ?? program.command('node');
  addTarget(
    node
      .command('tag <node> <tags>')
      .description('set the tags of a node: "tag:a,tag:b" (an empty string clears them)')
      .option(
        '--network <network>',
        'the network of a node given by name (needed when the name is in several)',
      ),
  ).action(async (id: string, tags: string, o: TargetOpts & { network?: string }) => {
    const list = tags
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    const n = await adminRequest<NodeSummary>(targetOf(o), 'PUT', nodePath(id, o.network, '/tags'), {
      tags: list,
    });
    out(`node ${n.name} (${n.nodeId}) tags: ${(n.tags ?? []).join(',') || '(none)'}`);
  });
}

function policyPath(network: string): string {
  return `/api/v1/networks/${encodeURIComponent(network)}/policy`;
}

/** The network from the argument or from `--network`; both must agree when both are given. */
function networkArg(positional: string | undefined, option: string | undefined): string {
  if (positional !== undefined && option !== undefined && positional !== option)
    throw new Error(`two networks given: ${positional} and --network ${option}`);
  const network = positional ?? option;
  if (network === undefined) throw new Error('which network? give it as the first argument');
  return network;
}
