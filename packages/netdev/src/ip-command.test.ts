import { describe, expect, it } from 'vitest';
import { NetDevCommandError } from './errors.js';
import { runIp } from './ip-command.js';

describe('runIp', () => {
  it('reports the command and its stderr when ip fails', async () => {
    const err = await runIp(['link', 'frobnicate'], { binary: process.execPath }).catch((e: unknown) => e);
    // node as a stand-in binary: it fails on the unknown script path with a message on stderr
    expect(err).toBeInstanceOf(NetDevCommandError);
    const cmdErr = err as NetDevCommandError;
    expect(cmdErr.code).toBe('ERR_NETDEV_COMMAND');
    expect(cmdErr.command).toEqual([process.execPath, 'link', 'frobnicate']);
    expect(cmdErr.exitCode).toBe(1);
    expect(cmdErr.stderr).toMatch(/Cannot find module/);
    expect(cmdErr.message).toContain(`\`${process.execPath} link frobnicate\` failed: `);
  });

  it('says to install iproute2 when the binary is missing', async () => {
    const err = await runIp(['link'], { binary: '/nonexistent/ip' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetDevCommandError);
    expect((err as NetDevCommandError).message).toMatch(/not found: install iproute2/);
  });

  it('prefixes -n NAME for a namespace', async () => {
    const err = await runIp(['link'], { binary: '/nonexistent/ip', netns: 'blue' }).catch((e: unknown) => e);
    expect((err as NetDevCommandError).command).toEqual(['/nonexistent/ip', '-n', 'blue', 'link']);
  });

  it('resolves with stdout on success', async () => {
    await expect(runIp(['-e', 'process.stdout.write("ok")'], { binary: process.execPath })).resolves.toBe(
      'ok',
    );
  });
});
