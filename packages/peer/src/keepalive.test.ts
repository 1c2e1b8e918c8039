import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PEER_TRANSPORTS } from './link-connection.js';
import { PeerLink } from './peer-link.js';
import { eventually, loopbackOnly, waitForState } from './testing/link-pair.js';

const remoteScript = fileURLToPath(new URL('./testing/remote-peer.ts', import.meta.url));

let child: ChildProcess | null = null;
let link: PeerLink | null = null;
afterEach(async () => {
  await link?.close('test done');
  if (child && child.exitCode === null) {
    child.kill('SIGCONT');
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  child = null;
  link = null;
});

describe.each(PEER_TRANSPORTS)('keepalive on a silently dead path (%s)', (transport) => {
  // libdatachannel cannot restart ICE: keepalive loss goes straight to a new generation.
  const restartsIce = transport === 'werift';
  it('detects a frozen peer by keepalive loss, restarts ICE (werift), offers a new generation, and recovers when it comes back', async () => {
    let offers = 0;
    child = fork(remoteScript, ['node-b', 'node-a', '250', transport], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const remote = child;
    link = new PeerLink({
      localId: 'node-a',
      remoteId: 'node-b',
      iceServers: [],
      candidateAddresses: loopbackOnly(),
      keepaliveIntervalMs: 250,
      keepaliveMissLimit: 4,
      restartTimeoutMs: 1000,
      connectTimeoutMs: 3000,
      transport,
      sendSignal: (signal) => {
        if (signal.kind === 'description' && signal.description.type === 'offer') offers++;
        remote.send({ signal });
      },
    });
    const a = link;
    remote.on('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null && 'signal' in m)
        a.handleSignal((m as { signal: unknown }).signal);
    });
    a.start();
    await waitForState(a, 'connected', 15_000);
    // With a 1 s keepalive budget, a loaded machine can make the fresh link reconnect once (a forked
    // tsx process is slow to start): the subject here is the recovery after a freeze, so wait for a
    // working link rather than betting on the first ping.
    await eventually(async () => (await a.ping()).path === 'direct', 10_000, 'a first ping');

    // Freeze the peer: its sockets stay open, nothing answers, no DTLS close or bye is ever sent.
    remote.kill('SIGSTOP');
    await waitForState(a, 'reconnecting', 5000);
    if (restartsIce) expect(a.stats().iceRestarts).toBeGreaterThanOrEqual(1);
    else expect(a.stats().iceRestarts).toBe(0);
    expect(a.stats().lossPct).toBeGreaterThan(0);

    // The ICE restart gets no answer either: after restartTimeoutMs a new generation is offered.
    await eventually(async () => offers >= (restartsIce ? 3 : 2), 5000, 'a new-generation offer');

    remote.kill('SIGCONT');
    await waitForState(a, 'connected', 20_000);
    await eventually(async () => (await a.ping()).path === 'direct', 10_000, 'ping after recovery');
    const echoed = new Promise<Buffer>((resolve) => a.onPacket(resolve));
    a.sendPacket(Buffer.from('still there?'));
    expect((await echoed).toString()).toBe('still there?');
    // Whichever recovered first (the restarted ICE or the new generation) carries the link now.
    expect(a.currentState).toBe('connected');
  }, 45_000);
});
