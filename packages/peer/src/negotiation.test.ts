import { describe, expect, test } from 'vitest';
import type { LinkConnection, PathInfo } from './link-connection.js';
import {
  EndedGenerations,
  GLARE_WINDOW_MS,
  keepsOwnOffer,
  type PendingGeneration,
  samePath,
} from './negotiation.js';

function pending(over: Partial<PendingGeneration> = {}): PendingGeneration {
  return {
    conn: {} as LinkConnection,
    own: true,
    probe: false,
    timer: {} as NodeJS.Timeout,
    startedAt: 1000,
    ...over,
  };
}

describe('keepsOwnOffer (new-generation glare)', () => {
  test('the impolite side keeps its own fresh offer; the polite side adopts the remote one', () => {
    expect(keepsOwnOffer(pending(), false, 1500)).toBe(true);
    expect(keepsOwnOffer(pending(), true, 1500)).toBe(false);
  });

  test('an offer older than the glare window was lost: the remote one is adopted', () => {
    expect(keepsOwnOffer(pending(), false, 1000 + GLARE_WINDOW_MS - 1)).toBe(true);
    expect(keepsOwnOffer(pending(), false, 1000 + GLARE_WINDOW_MS)).toBe(false);
  });

  test('an offer the server could not deliver (the peer restarted) never wins', () => {
    expect(keepsOwnOffer(pending({ undelivered: true }), false, 1500)).toBe(false);
  });

  test('a generation this side only answers is not its own offer', () => {
    expect(keepsOwnOffer(pending({ own: false }), false, 1500)).toBe(false);
  });
});

describe('EndedGenerations', () => {
  test('remembers the newest 32 ids', () => {
    const ended = new EndedGenerations();
    for (let i = 0; i < 40; i++) ended.add(`g${i}`);
    expect(ended.has('g7')).toBe(false);
    expect(ended.has('g8')).toBe(true);
    expect(ended.has('g39')).toBe(true);
  });
});

describe('samePath', () => {
  const direct: PathInfo = {
    path: 'direct',
    localCandidateType: 'srflx',
    remoteCandidateType: 'srflx',
    remoteAddress: '198.51.100.7:40000',
  } as PathInfo;
  test('equal pairs are the same; any field that moved is a change', () => {
    expect(samePath(null, null)).toBe(true);
    expect(samePath(direct, { ...direct })).toBe(true);
    expect(samePath(direct, null)).toBe(false);
    expect(samePath(direct, { ...direct, remoteAddress: '198.51.100.7:40001' })).toBe(false);
    expect(samePath(direct, { ...direct, path: 'relay', localCandidateType: 'relay' })).toBe(false);
  });
});
