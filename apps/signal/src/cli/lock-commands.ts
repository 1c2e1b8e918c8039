import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  exportPrivateKey,
  exportPublicKey,
  importPrivateKey,
  type NetworkSummary,
  NODE_KEY_DOMAIN,
  type NodeSummary,
  nodeKeyPayload,
  POLICY_DOMAIN,
  type PolicyResponse,
  policyPayload,
  publicKeyOf,
  signDomain,
  signLockDisablement,
} from '@rtcmesh/protocol';
import type { Command } from 'commander';
import { adminRequest } from './admin-client.js';
import { addTarget, nodePath, out, type TargetOpts, table, targetOf } from './admin-commands.js';

/**
 * Locked networks (Tailnet-Lock-like): an operator key, generated and kept OUTSIDE the server, signs
 * every node key; agents refuse peers whose key lacks such a signature. These commands run on the
 * operator's machine: the private key is read locally and only signatures go to the server.
 */
export function registerLockCommands(program: Command): void {
  const lock = program.command('lock').description('locked networks: node keys signed by operator keys');

  lock
    .command('keygen')
    .description('create an operator key (keep it off the server); prints its public key')
    .requiredOption('--out <file>', 'where to write the private key (mode 0600, must not exist)')
    .action((o: { out: string }) => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      writeFileSync(o.out, `${exportPrivateKey(privateKey)}\n`, { mode: 0o600, flag: 'wx' });
      out(exportPublicKey(publicKey));
    });

  addTarget(
    lock
      .command('enable <network>')
      .description('lock a network to operator public keys (agents pin them; see SECURITY.md)')
      .requiredOption('--key <base64...>', 'operator public key(s) from `lock keygen`'),
  ).action(async (network: string, o: TargetOpts & { key: string[] }) => {
    const n = await adminRequest<NetworkSummary>(
      targetOf(o),
      'PUT',
      `/api/v1/networks/${encodeURIComponent(network)}/lock`,
      { keys: o.key },
    );
    out(`network ${n.name} locked to ${n.lockKeys?.length ?? 0} operator key(s)`);
  });

  addTarget(
    lock
      .command('disable <network>')
      .description(
        "lift a network's lock: signs the disablement with an operator key, so agents that pinned the lock keys unpin them",
      )
      .requiredOption(
        '--operator-key <file>',
        'operator private key from `lock keygen` (one of the lock keys)',
      ),
  ).action(async (network: string, o: TargetOpts & { operatorKey: string }) => {
    const target = targetOf(o);
    const key = readOperatorKey(o.operatorKey);
    const path = `/api/v1/networks/${encodeURIComponent(network)}/lock`;
    const n = await adminRequest<NetworkSummary>(
      target,
      'GET',
      `/api/v1/networks/${encodeURIComponent(network)}`,
    );
    const keys = n.lockKeys ?? [];
    if (keys.length === 0) throw new Error(`network ${n.name} is not locked`);
    if (!keys.includes(publicKeyOf(key)))
      throw new Error(`${o.operatorKey} is not one of the lock keys of ${n.name}: ${keys.join(', ')}`);
    const disablement = signLockDisablement(key, n.id, keys);
    await adminRequest<NetworkSummary>(target, 'PUT', path, { keys: [], disablement });
    out(
      `network ${n.name} unlocked: agents that pinned its ${keys.length} lock key(s) unpin them when they see the signed disablement`,
    );
  });

  addTarget(
    lock
      .command('sign <node>')
      .description("sign a node's current key with an operator key (after checking the node is yours)")
      .requiredOption('--operator-key <file>', 'operator private key from `lock keygen`')
      .option(
        '--network <network>',
        'the network of a node given by name (needed when the name is in several)',
      ),
  ).action(async (node: string, o: TargetOpts & { operatorKey: string; network?: string }) => {
    const target = targetOf(o);
    const key = readOperatorKey(o.operatorKey);
    const n = await adminRequest<NodeSummary>(target, 'GET', nodePath(node, o.network));
    const signature = signDomain(key, NODE_KEY_DOMAIN, nodeKeyPayload(n.networkId, n.nodeId, n.publicKey));
    await adminRequest<NodeSummary>(
      target,
      'PUT',
      `/api/v1/nodes/${encodeURIComponent(n.nodeId)}/key-signature`,
      { signature },
    );
    out(`signed ${n.name} (${n.nodeId}) key ${n.publicKey}`);
  });

  addTarget(
    lock
      .command('sign-policy <network>')
      .description(
        "sign the network's current access policy with an operator key (agents of a locked network enforce only signed policies)",
      )
      .requiredOption('--operator-key <file>', 'operator private key from `lock keygen`')
      .option('--show', 'print the policy document that is signed'),
  ).action(async (network: string, o: TargetOpts & { operatorKey: string; show?: boolean }) => {
    const target = targetOf(o);
    const key = readOperatorKey(o.operatorKey);
    const path = `/api/v1/networks/${encodeURIComponent(network)}/policy`;
    const current = await adminRequest<PolicyResponse>(target, 'GET', path);
    if (current.updatedAt === null) throw new Error(`network ${network} has no policy to sign`);
    // What is signed is what the server stores and sends: the operator reviews it here (--show).
    if (o.show) out(JSON.stringify(current.policy, null, 2));
    const signature = signDomain(key, POLICY_DOMAIN, policyPayload(current.networkId, current.policy));
    await adminRequest<PolicyResponse>(target, 'PUT', `${path}/signature`, {
      version: current.policy.version,
      signature,
    });
    const rules = Array.isArray(current.policy.rules) ? current.policy.rules.length : 0;
    out(
      `signed policy version ${current.policy.version} of ${network} (${rules} rules) with ${publicKeyOf(key)}`,
    );
  });

  addTarget(
    lock
      .command('status <network>')
      .description('which nodes of a locked network carry a valid operator signature')
      .option('--json', 'JSON output'),
  ).action(async (network: string, o: TargetOpts & { json?: boolean }) => {
    const target = targetOf(o);
    const net = await adminRequest<NetworkSummary>(
      target,
      'GET',
      `/api/v1/networks/${encodeURIComponent(network)}`,
    );
    const { nodes } = await adminRequest<{ nodes: NodeSummary[] }>(
      target,
      'GET',
      `/api/v1/nodes?network=${encodeURIComponent(net.id)}`,
    );
    const keys = net.lockKeys ?? [];
    const rows = nodes.map((n) => ({
      nodeId: n.nodeId,
      name: n.name,
      publicKey: n.publicKey,
      // The server checks each key against the network's lock keys (NodeSummary.keySigned).
      signed: n.keySigned === true,
    }));
    if (o.json) {
      out(JSON.stringify({ network: net.name, lockKeys: keys, nodes: rows }, null, 2));
      return;
    }
    out(
      keys.length
        ? `network ${net.name} is locked to: ${keys.join(', ')}`
        : `network ${net.name} is not locked`,
    );
    table([
      ['NODE', 'ID', 'KEY', 'SIGNED'],
      ...rows.map((r) => [r.name, r.nodeId, r.publicKey, r.signed ? 'yes' : 'NO']),
    ]);
  });
}

function readOperatorKey(file: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(
      `--operator-key ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    const key = importPrivateKey(pem.trim());
    publicKeyOf(key);
    return key;
  } catch {
    throw new Error(`--operator-key ${file}: not an Ed25519 private key from \`rtcmesh-signal lock keygen\``);
  }
}
