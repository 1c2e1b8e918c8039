import { Hono } from 'hono';
import type { ControlPlane } from '../control-plane/control-plane.js';
import type { LatestTelemetry } from '../telemetry/latest.js';

export function telemetryApi(
  controlPlane: Pick<ControlPlane, 'requireNetwork'>,
  telemetry: LatestTelemetry,
): Hono {
  return new Hono().get('/', async (c) => {
    const network = c.req.query('network');
    const node = c.req.query('node');
    const filter: { networkId?: string; nodeId?: string } = {};
    if (network) filter.networkId = (await controlPlane.requireNetwork(network)).id;
    if (node) filter.nodeId = node;
    return c.json({ links: telemetry.entries(filter) });
  });
}
