import { createRequire } from 'node:module';

type NodeDataChannel = typeof import('node-datachannel');

/**
 * usrsctp's send buffer (process-wide, set once): frames wait here, behind libdatachannel's own queue
 * (bufferedAmount, capped by maxBufferedBytes), so a link holds at most cap + this in flight locally.
 * libdatachannel's default is 1 MiB; in the lab (bench/compare, 2 runs each) 256 KiB moved as much
 * single-stream TCP (L2 142-235, L3 206-228 Mbit/s against 154-172 and 175-181) with a third of the
 * queueing delay under load (RTT 8-15 ms against 23-47 ms). A loopback flood of 1200-byte messages
 * prefers bigger buffers; TCP through the tunnel does not.
 */
export const NDC_SCTP_SEND_BUFFER_BYTES = 256 * 1024;

let addon: NodeDataChannel | undefined;
let unavailable: string | undefined;

/**
 * Whether libdatachannel can be used here: its platform package installed and its native module
 * loadable (prebuilt for the common platforms only). Tried once; the reason is kept for status.
 */
export function ndcAvailability(): { ok: true } | { ok: false; reason: string } {
  if (addon) return { ok: true };
  if (unavailable === undefined) {
    try {
      loadAddon();
      return { ok: true };
    } catch (err) {
      unavailable = `node-datachannel did not load: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  return { ok: false, reason: unavailable };
}
/**
 * The native addon is loaded on first use only: a host running the default (werift) transport never
 * needs the platform package (@node-datachannel/<platform>), which exists for the common platforms only.
 */
export function loadAddon(): NodeDataChannel {
  if (!addon) {
    addon = createRequire(import.meta.url)('node-datachannel') as NodeDataChannel;
    addon.setSctpSettings({ sendBufferSize: NDC_SCTP_SEND_BUFFER_BYTES });
  }
  return addon;
}
