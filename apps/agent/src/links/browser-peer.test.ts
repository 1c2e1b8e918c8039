import { CandidateAddressFilter } from '@rtcmesh/peer';
import type { SignalData } from '@rtcmesh/protocol';
import { waitUntil } from '@rtcmesh/testkit';
import { pino } from 'pino';
import { afterEach, expect, test } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { BrowserPeers } from './browser-peer.js';

const log = pino({ level: 'silent' });
const opened: RTCPeerConnection[] = [];
let peers: BrowserPeers | undefined;

afterEach(async () => {
  await peers?.close();
  for (const pc of opened.splice(0)) await pc.close();
});

/** A stand-in for the browser on loopback: werift with the probe channel, complete offer. */
async function browserOffer(): Promise<{
  pc: RTCPeerConnection;
  sdp: string;
  probe: ReturnType<RTCPeerConnection['createDataChannel']>;
}> {
  const pc = new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'] });
  opened.push(pc);
  const probe = pc.createDataChannel('probe', { negotiated: true, id: 0, ordered: true });
  await pc.setLocalDescription(await pc.createOffer());
  await waitUntil('gathering', () => (pc.iceGatheringState === 'complete' ? true : undefined));
  return { pc, sdp: pc.localDescription!.sdp, probe };
}

test('answers a browser offer and pongs pings on the probe channel only', { timeout: 20_000 }, async () => {
  const sent: { linkId: string; data: SignalData }[] = [];
  peers = new BrowserPeers({
    logger: log,
    sendSignal: (linkId, data) => sent.push({ linkId, data }) > 0,
    candidateFilter: new CandidateAddressFilter({ additionalHostAddresses: ['127.0.0.1'] }),
    iceServers: () => [],
  });
  const b = await browserOffer();
  peers.handle('bl-test-link-1', { kind: 'description', description: { type: 'offer', sdp: b.sdp } });
  const answer = await waitUntil('answer', () => sent.find((s) => s.linkId === 'bl-test-link-1')?.data);
  if (answer.kind !== 'description') throw new Error(`expected an answer, got ${answer.kind}`);
  expect(answer.description.type).toBe('answer');
  expect(answer.description.sdp).toContain('a=candidate:');
  await b.pc.setRemoteDescription({ type: 'answer', sdp: answer.description.sdp });
  await waitUntil('probe open', () => (b.probe.readyState === 'open' ? true : undefined));
  const pongs: string[] = [];
  b.probe.onMessage.subscribe((m) => pongs.push(m.toString()));
  b.probe.send(JSON.stringify({ t: 'ping', id: 7 }));
  b.probe.send('not json');
  b.probe.send(JSON.stringify({ t: 'msg', body: 'ignored' }));
  await waitUntil('pong', () => (pongs.length > 0 ? true : undefined));
  expect(JSON.parse(pongs[0]!)).toEqual({ t: 'pong', id: 7 });
  expect(peers.size).toBe(1);
});

test('beyond the limit an offer is refused with bye; bye closes a link', async () => {
  const sent: { linkId: string; data: SignalData }[] = [];
  peers = new BrowserPeers({
    logger: log,
    sendSignal: (linkId, data) => sent.push({ linkId, data }) > 0,
    candidateFilter: new CandidateAddressFilter({ additionalHostAddresses: ['127.0.0.1'] }),
    iceServers: () => [],
    maxLinks: 1,
  });
  const b = await browserOffer();
  peers.handle('bl-first-link', { kind: 'description', description: { type: 'offer', sdp: b.sdp } });
  peers.handle('bl-second-link', { kind: 'description', description: { type: 'offer', sdp: b.sdp } });
  const refusal = sent.find((s) => s.linkId === 'bl-second-link')?.data;
  expect(refusal).toMatchObject({ kind: 'bye' });
  expect(peers.size).toBe(1);
  peers.handle('bl-first-link', { kind: 'bye' });
  expect(peers.size).toBe(0);
});
