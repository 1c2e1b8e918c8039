import { randomBytes } from 'node:crypto';

/** An ICE server as handed out by the network config (STUN and TURN with minted credentials). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/**
 * How one RTCPeerConnection generation gathers candidates.
 * - `all`: host, srflx and relay (through `turn[turnIndex]`).
 * - `relay`: relay only, through `turn[turnIndex]` (werift uses only the first TURN URL it is given,
 *   so each relay attempt names one TURN URL: UDP first, then TCP/TLS in the configured order).
 * - `direct`: host and srflx only, no TURN: the cheap upgrade probe run while a link is relayed.
 */
export interface ConnectPlan {
  policy: 'all' | 'relay' | 'direct';
  turnIndex: number;
}

const POLICY_CODE = { all: 'a', relay: 'r', direct: 'd' } as const;

/** Generation ids carry the plan so the answering side gathers the same way: `<random>.<a|r|d><turnIndex>`. */
export function newGeneration(plan: ConnectPlan): string {
  return `${randomBytes(6).toString('hex')}.${POLICY_CODE[plan.policy]}${plan.turnIndex}`;
}

export function planOfGeneration(gen: string, turnCount: number): ConnectPlan {
  const m = /\.([adr])(\d{1,3})$/.exec(gen);
  if (!m) return { policy: 'all', turnIndex: 0 };
  const policy = m[1] === 'r' ? 'relay' : m[1] === 'd' ? 'direct' : 'all';
  const index = Number(m[2]);
  return { policy, turnIndex: turnCount > 0 ? index % turnCount : 0 };
}

interface UrlEntry {
  url: string;
  username?: string;
  credential?: string;
}

function flatten(servers: readonly IceServer[]): UrlEntry[] {
  const out: UrlEntry[] = [];
  for (const s of servers) {
    for (const url of Array.isArray(s.urls) ? s.urls : [s.urls]) {
      const entry: UrlEntry = { url: url.trim() };
      if (s.username !== undefined) entry.username = s.username;
      if (s.credential !== undefined) entry.credential = s.credential;
      out.push(entry);
    }
  }
  return out;
}

const isTurn = (url: string): boolean => /^turns?:/i.test(url);
const isStun = (url: string): boolean => /^stuns?:/i.test(url);

export function turnUrlCount(servers: readonly IceServer[]): number {
  return flatten(servers).filter((e) => isTurn(e.url)).length;
}

/** The TURN URLs in configured order (a plan's `turnIndex` indexes this list). */
export function turnUrls(servers: readonly IceServer[]): string[] {
  return flatten(servers)
    .filter((e) => isTurn(e.url))
    .map((e) => e.url);
}

/**
 * The order in which a link tries to connect: everything (TURN #0 as the relay fallback inside ICE),
 * then relay-only through each TURN URL in the configured order (order the network config as
 * turn UDP, turn TCP, turns TLS so a site with UDP blocked ends up on TCP/TLS).
 */
export function connectPlans(servers: readonly IceServer[]): ConnectPlan[] {
  const turns = turnUrlCount(servers);
  const plans: ConnectPlan[] = [{ policy: 'all', turnIndex: 0 }];
  for (let i = 0; i < turns; i++) plans.push({ policy: 'relay', turnIndex: i });
  return plans;
}

/** The ICE servers for one generation: the first STUN URL and only the plan's TURN URL. */
export function iceServersForPlan(servers: readonly IceServer[], plan: ConnectPlan): IceServer[] {
  const entries = flatten(servers);
  const out: IceServer[] = [];
  const stun = entries.find((e) => isStun(e.url));
  if (stun) out.push({ urls: stun.url });
  if (plan.policy === 'direct') return out;
  const turn = entries.filter((e) => isTurn(e.url))[plan.turnIndex];
  if (turn) {
    const server: IceServer = { urls: turn.url };
    if (turn.username !== undefined) server.username = turn.username;
    if (turn.credential !== undefined) server.credential = turn.credential;
    out.push(server);
  }
  return out;
}
