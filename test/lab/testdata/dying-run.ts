/**
 * A test run that dies after building a world: `throw` (uncaught exception: the exit hook must tear
 * the world down) or `kill` (SIGKILL: nothing runs, reapStale must clean up later).
 * Prints `run <id> sleeper <pid>` first.
 */
import { Lab } from '../index.js';

const how = process.argv[2];
const world = await Lab.build({ sites: { z: { nat: 'cone', hosts: ['z1'] } } });
const sleeper = world.host('z1').spawn('sleep', ['600']);
process.stdout.write(`run ${world.runId} sleeper ${sleeper.pid}\n`);
if (how === 'kill') process.kill(process.pid, 'SIGKILL');
throw new Error('test run failed');
