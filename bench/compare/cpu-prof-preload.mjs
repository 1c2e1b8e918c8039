// Preload (`NODE_OPTIONS=--import=<this file>`) that CPU-profiles the process like `--cpu-prof`
// (which Node 20 does not accept in NODE_OPTIONS), but only between two SIGUSR2 signals, so the
// profile covers the measured traffic and not the start-up. The profile is written to
// $RTM_CPU_PROF_DIR/CPU.<pid>.cpuprofile at the second signal.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.RTM_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      session.post('Profiler.start');
      running = true;
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
