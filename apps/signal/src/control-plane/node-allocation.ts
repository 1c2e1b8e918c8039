import { dnsLabel, ErrorCode, type JoinRequest } from '@rtcmesh/protocol';
import { deriveMac } from '../ipam/mac.js';
import { pickFreeAddress } from '../ipam/pool.js';
import { isUniqueViolation, type Store } from '../store/index.js';
import type { JoinKeyRow } from '../store/join-keys.js';
import type { NetworkRow } from '../store/networks.js';
import type { NodeRow } from '../store/nodes.js';
import { ControlPlaneError } from './errors.js';
import { newId } from './ids.js';

/**
 * Creates the node and leases its address in one transaction. Address, name and MAC are picked from
 * what the transaction reads, under the network's row lock (PostgreSQL) or the write lock (SQLite),
 * so joins racing on several instances get distinct values; the lease's primary key backs that up,
 * and a violation (a writer that did not take the lock) is retried.
 */
export async function allocateNode(
  store: Store,
  req: JoinRequest,
  row: JoinKeyRow,
  network: NetworkRow,
  now: number,
): Promise<NodeRow> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.transaction(async (tx) => {
        await tx.networks.lock(network.id);
        if (!row.reusable && !(await tx.joinKeys.consume(row.id))) {
          throw new ControlPlaneError(ErrorCode.KeyUsed, 'single-use join key was already used', 403);
        }
        if (row.reusable) await tx.joinKeys.consume(row.id);
        const id = newId('n');
        const address = pickFreeAddress(network.cidr, await tx.leases.leased(network.id));
        if (address === null) {
          throw new ControlPlaneError(
            ErrorCode.AddressPoolExhausted,
            `network ${network.name} has no free address`,
            409,
          );
        }
        await tx.nodes.insert({
          id,
          networkId: network.id,
          name: uniqueName(await tx.nodes.namesOf(network.id), req.name),
          publicKey: req.publicKey,
          mac: deriveMac(network.id, id, await tx.nodes.macsOf(network.id)),
          hostname: req.hostname ?? null,
          os: req.os ?? null,
          agentVersion: req.agentVersion,
          joinKeyId: row.id,
          createdAt: now,
        });
        await tx.leases.insert(network.id, address, id);
        return (await tx.nodes.get(id))!;
      });
    } catch (err) {
      if (attempt < 5 && isUniqueViolation(err)) {
        // The same public key joined concurrently: that join's node is the answer.
        const existing = await store.nodes.findByPublicKey(req.publicKey);
        if (existing) return existing;
        continue;
      }
      throw err;
    }
  }
}

/**
 * A name no node of the network has, as a name or as a DNS label (`Web` beside `web`, `db.eu` beside
 * `db-eu`): every member's resolver must derive the same node from `<label>.<network>.<suffix>`.
 * The join answer carries the name given; the agent says when it is not the one asked for.
 */
export function uniqueName(taken: Set<string>, wanted: string): string {
  const labels = new Set([...taken].map(dnsLabel));
  const free = (n: string) => !taken.has(n) && !labels.has(dnsLabel(n));
  if (free(wanted)) return wanted;
  for (let i = 2; ; i++) {
    const candidate = `${wanted.slice(0, 58)}-${i}`;
    if (free(candidate)) return candidate;
  }
}
