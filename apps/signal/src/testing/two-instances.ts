import { afterAll, beforeAll } from 'vitest';
import { MemoryBus, MemoryBusNetwork } from '../cluster/memory-bus.js';
import type { SignalServerOptions } from '../options.js';
import type { SignalServer } from '../server.js';
import { dropSchema, freshSchema, TEST_PG } from './services.js';
import { startTestServer, tempDir } from './test-client.js';

/**
 * Two signaling instances, a and b, on one PostgreSQL database (a schema of their own, named after
 * `label`) and an in-process bus shared in this process, started before the tests of the calling
 * describe block and stopped, with their dirs and schema removed, after them. Call it inside a
 * `describe.runIf(await requireServices({ pg: true }))`.
 */
export function useTwoInstances(
  label: string,
  options: { server?: Partial<SignalServerOptions>; bus?: ConstructorParameters<typeof MemoryBus>[1] } = {},
): { servers: SignalServer[]; buses: MemoryBus[] } {
  const schema = freshSchema(label);
  const dir = tempDir();
  const servers: SignalServer[] = [];
  const buses: MemoryBus[] = [];
  beforeAll(async () => {
    const network = new MemoryBusNetwork();
    for (const name of ['a', 'b']) {
      const bus = new MemoryBus(network, options.bus);
      buses.push(bus);
      servers.push(
        await startTestServer(`${dir.path}/${name}`, {
          adminSocket: false,
          consoleDir: null,
          database: TEST_PG,
          postgres: { schema, poolSize: 4 },
          bus,
          ...options.server,
        }),
      );
    }
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    dir.remove();
    await dropSchema(schema);
  });
  return { servers, buses };
}
