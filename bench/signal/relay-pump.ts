import { performance } from 'node:perf_hooks';

/** An ICE-candidate-sized `signal` payload, what agents relay most. */
export const SAMPLE_SIGNAL = {
  kind: 'candidate',
  gen: 'g1',
  candidate: {
    candidate:
      'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0',
    sdpMid: '0',
    sdpMLineIndex: 0,
  },
} as const;

/** Bytes of one relayed message on the wire. */
export const SAMPLE_SIGNAL_BYTES = JSON.stringify({ type: 'signal', to: 'x', data: SAMPLE_SIGNAL }).length;

export interface PumpSession {
  ws: { send(data: string): void };
  nodeId: string;
  onMessage(cb: (m: { type: string }) => void): void;
}

/**
 * Every sender pushes SAMPLE_SIGNAL to its receiver for `seconds`, keeping at most `window` messages
 * in flight (refilled at half), so the server, not the client, is the bottleneck. Returns how many
 * signals were delivered and over how long.
 */
export async function pumpSignals(
  pairs: readonly { a: PumpSession; b: PumpSession }[],
  seconds: number,
  window = 500,
): Promise<{ delivered: number; seconds: number }> {
  let delivered = 0;
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    pairs.map(
      ({ a, b }) =>
        new Promise<void>((resolve) => {
          const raw = JSON.stringify({ type: 'signal', to: b.nodeId, data: SAMPLE_SIGNAL });
          let inFlight = 0;
          const pump = (): void => {
            if (performance.now() >= deadline) {
              if (inFlight === 0) resolve();
              return;
            }
            while (inFlight < window) {
              a.ws.send(raw);
              inFlight++;
            }
          };
          b.onMessage((m) => {
            if (m.type !== 'signal') return;
            delivered++;
            inFlight--;
            if (inFlight <= window / 2 || performance.now() >= deadline) pump();
          });
          pump();
        }),
    ),
  );
  return { delivered, seconds: (performance.now() - t0) / 1000 };
}
