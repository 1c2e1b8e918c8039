#!/usr/bin/env node
// TCP integrity check for the e2e tests.
//   serve PORT              accept one connection, print {"bytes":N,"sha256":"..."} when it ends
//   send HOST PORT BYTES    send BYTES random bytes, print {"bytes":N,"sha256":"...","ms":T}
//   paced HOST PORT BYTES SECONDS   the same, spread evenly over SECONDS (one connection that stays
//                                   open across something the test does meanwhile)
// Both sides hash what they saw: equal hashes mean the stream crossed the overlay intact.
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') {
  const port = Number(args[0]);
  const server = createServer((sock) => {
    const hash = createHash('sha256');
    let bytes = 0;
    sock.on('data', (d) => {
      bytes += d.length;
      hash.update(d);
    });
    sock.on('end', () => {
      process.stdout.write(`${JSON.stringify({ bytes, sha256: hash.digest('hex') })}\n`);
      sock.end();
      server.close();
    });
    sock.on('error', (e) => {
      process.stderr.write(`error ${e.message}\n`);
      process.exit(1);
    });
  });
  server.listen(port, () => process.stderr.write(`listening ${port}\n`));
} else if (mode === 'send') {
  const [host, port, total] = [args[0], Number(args[1]), Number(args[2])];
  const hash = createHash('sha256');
  const started = Date.now();
  const sock = connect(port, host);
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const chunk = randomBytes(Math.min(65536, total - sent));
      hash.update(chunk);
      sent += chunk.length;
      if (!sock.write(chunk)) return sock.once('drain', pump);
    }
    sock.end();
  };
  sock.on('connect', pump);
  sock.on('close', () => {
    process.stdout.write(
      `${JSON.stringify({ bytes: sent, sha256: hash.digest('hex'), ms: Date.now() - started })}\n`,
    );
  });
  sock.on('error', (e) => {
    process.stderr.write(`error ${e.message}\n`);
    process.exit(1);
  });
} else if (mode === 'paced') {
  const [host, port, total, seconds] = [args[0], Number(args[1]), Number(args[2]), Number(args[3])];
  const hash = createHash('sha256');
  const started = Date.now();
  const sock = connect(port, host);
  let sent = 0;
  const ticks = Math.max(1, Math.round(seconds * 20));
  const tick = () => {
    const due = Math.min(total, Math.round((total * (Date.now() - started)) / (seconds * 1000)));
    while (sent < due) {
      const chunk = randomBytes(Math.min(65536, due - sent));
      hash.update(chunk);
      sent += chunk.length;
      sock.write(chunk);
    }
    if (sent >= total) sock.end();
    else setTimeout(tick, (seconds * 1000) / ticks);
  };
  sock.on('connect', () => {
    process.stderr.write('connected\n');
    tick();
  });
  sock.on('close', () => {
    process.stdout.write(
      `${JSON.stringify({ bytes: sent, sha256: hash.digest('hex'), ms: Date.now() - started })}\n`,
    );
  });
  sock.on('error', (e) => {
    process.stderr.write(`error ${e.message}\n`);
    process.exit(1);
  });
} else {
  process.stderr.write(
    'usage: tcp-stream.mjs serve PORT | send HOST PORT BYTES | paced HOST PORT BYTES SECONDS\n',
  );
  process.exit(2);
}
