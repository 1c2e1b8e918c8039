import { describe, expect, test } from 'vitest';
import { labSkipReason } from '../lab/index.js';
import { useMeshLab } from './fixture.js';
import { type LabAgent, waitFor } from './mesh-lab.js';

const EXIT_LAN = '10.1.2.0/24';
/** A TCP server that answers every connection with the address it came from. */
const WHO = `require('net').createServer(s=>s.end(s.remoteAddress.replace(/^::ffff:/,'')+'\\n')).listen(8080,()=>console.log('listening'))`;
const FETCH = `const s=require('net').connect({host:process.argv[1],port:8080});s.setTimeout(3000);s.on('data',d=>{console.log('from '+d);process.exit(0)});s.on('timeout',()=>{console.log('timeout');process.exit(2)});s.on('error',e=>{console.log(e.code);process.exit(3)})`;

type ExitStatus = { name: string; active: boolean; bypasses: number } | null | undefined;
async function exitStatus(agent: LabAgent): Promise<ExitStatus> {
  const s = (await agent.status()) as unknown as { routes?: { exitNode?: ExitStatus; offersExit?: boolean } };
  return s.routes?.exitNode;
}

/**
 * Issue 16, exit nodes the Tailscale way: ex1 offers itself, an admin approves its 0.0.0.0/0, and a1
 * (started with --exit-node ex1) reaches a host on ex1's LAN, which its own default route cannot: the
 * traffic goes through the overlay and leaves ex1 NATed. a1's paths to the server and to its peers
 * stay on the underlay; rejecting the route puts a1 back on its own default route.
 */
const skip = await labSkipReason();
describe.skipIf(skip !== undefined)('exit node', { timeout: 180_000 }, () => {
  const lab = useMeshLab({
    world: {
      sites: {
        a: { nat: 'cone', hosts: ['a1'] },
        e: { nat: 'cone', hosts: ['ex1', 'web'], lan: EXIT_LAN },
      },
    },
    network: { mode: 'l3', cidr: '10.98.0.0/24' },
    agentEnv: { RTCMESH_CONNECT_TIMEOUT_MS: '4000' },
    agents: [
      { host: 'ex1', args: ['--advertise-exit-node'] },
      { host: 'a1', args: ['--exit-node', 'ex1'] },
    ],
  });

  test('a client sends its internet traffic through the approved exit node; the mesh’s own paths stay outside', async () => {
    const mesh = lab();
    const a1 = mesh.agent('a1');
    const web = mesh.world.host('web');
    const server = web.spawn('node', ['-e', WHO], { label: 'who-web' });
    await server.waitForLine(/listening/, 10_000);
    const fetchFrom = async () =>
      (await a1.host.exec('node', ['-e', FETCH, web.ip], { timeoutMs: 10_000 })).stdout.trim();
    await a1.waitConnected('ex1', 45_000);

    // Offered, not approved: a1 keeps its own default route, which knows nothing of ex1's LAN.
    expect(await exitStatus(a1)).toMatchObject({ name: 'ex1', active: false });
    expect(await fetchFrom()).not.toMatch(/^from/);
    const listed = await mesh.admin(['route', 'list', 'lab']);
    expect(listed.stdout).toMatch(/ex1\s+0\.0\.0\.0\/0\s+pending/);

    const approved = await mesh.admin(['route', 'approve', 'lab', 'ex1', '0.0.0.0/0']);
    expect(approved.code, approved.stderr).toBe(0);
    await waitFor(
      'a1 to use the exit node',
      async () => ((await exitStatus(a1))?.active ? true : undefined),
      15_000,
    );
    // web sees ex1's LAN address: the exit node NATs what it forwards.
    expect(await fetchFrom()).toBe(`from ${mesh.world.host('ex1').ip}`);
    expect((await a1.ping(web.ip, 3)).received).toBeGreaterThanOrEqual(2);
    const viaTunnel = await a1.host.exec('ip', ['-4', 'route', 'get', web.ip]);
    expect(viaTunnel.stdout).toMatch(/dev rtm0/);
    // The server and the link to ex1 stay on the underlay (else the tunnel would carry itself).
    const toServer = await a1.host.exec('ip', ['-4', 'route', 'get', mesh.world.server.ip]);
    expect(toServer.stdout).not.toMatch(/dev rtm0/);
    const status = await a1.status();
    expect(status.server.connected).toBe(true);
    expect(status.peers.find((p) => p.name === 'ex1')?.state).toBe('connected');
    expect((await a1.ping(await mesh.agent('ex1').address(), 3)).received).toBeGreaterThanOrEqual(2);

    // Withdrawn: a1 is back on its own default route.
    expect((await mesh.admin(['route', 'reject', 'lab', 'ex1', '0.0.0.0/0'])).code).toBe(0);
    await waitFor(
      'a1 to leave the exit node',
      async () => ((await exitStatus(a1))?.active ? undefined : true),
      15_000,
    );
    expect(await fetchFrom()).not.toMatch(/^from/);
    expect((await a1.host.exec('ip', ['-4', 'route', 'get', web.ip])).stdout).not.toMatch(/dev rtm0/);
  });
});
