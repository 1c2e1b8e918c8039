// Test helpers for other packages' tests (the agent, the lab): loopback link pairs and a coturn runner.
export { type Coturn, hasTurnserver, startCoturn } from './coturn.js';
export {
  eventually,
  type LinkPair,
  linkPair,
  loopbackOnly,
  SignalPipe,
  waitFor,
  waitForState,
} from './link-pair.js';
