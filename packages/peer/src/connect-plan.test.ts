import { describe, expect, it } from 'vitest';
import { connectPlans, iceServersForPlan, newGeneration, planOfGeneration } from './connect-plan.js';

const servers = [
  { urls: ['stun:stun.example:3478'] },
  {
    urls: ['turn:t.example:3478', 'turn:t.example:3478?transport=tcp', 'turns:t.example:5349'],
    username: 'u',
    credential: 'p',
  },
];

describe('connect plans', () => {
  it('tries everything first, then relay-only through each TURN URL in order', () => {
    expect(connectPlans(servers)).toEqual([
      { policy: 'all', turnIndex: 0 },
      { policy: 'relay', turnIndex: 0 },
      { policy: 'relay', turnIndex: 1 },
      { policy: 'relay', turnIndex: 2 },
    ]);
    expect(connectPlans([{ urls: 'stun:s' }])).toEqual([{ policy: 'all', turnIndex: 0 }]);
  });

  it('gives werift exactly one TURN URL per plan (it only uses the first) and none to probes', () => {
    expect(iceServersForPlan(servers, { policy: 'relay', turnIndex: 1 })).toEqual([
      { urls: 'stun:stun.example:3478' },
      { urls: 'turn:t.example:3478?transport=tcp', username: 'u', credential: 'p' },
    ]);
    expect(iceServersForPlan(servers, { policy: 'direct', turnIndex: 0 })).toEqual([
      { urls: 'stun:stun.example:3478' },
    ]);
  });

  it('round-trips the plan through the generation id and tolerates foreign ids', () => {
    for (const plan of connectPlans(servers)) {
      expect(planOfGeneration(newGeneration(plan), 3)).toEqual(plan);
    }
    expect(planOfGeneration(newGeneration({ policy: 'direct', turnIndex: 0 }), 3).policy).toBe('direct');
    expect(planOfGeneration('whatever', 3)).toEqual({ policy: 'all', turnIndex: 0 });
    expect(planOfGeneration('x.r7', 3)).toEqual({ policy: 'relay', turnIndex: 1 });
  });
});
