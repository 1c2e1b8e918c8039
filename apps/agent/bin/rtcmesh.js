#!/usr/bin/env -S node --max-semi-space-size=1 --unhandled-rejections=strict
// --max-semi-space-size=1: V8's young generation grows to 16 MiB per semi-space under the agent's
// allocation rate (a Buffer per packet) and stays there; 1 MiB moves the same traffic with the
// agent's peak RSS at ~90 instead of ~145 MiB (bench/compare, README "Memory").
// --unhandled-rejections=strict: a promise that fails with nobody listening is a bug; the agent exits
// non-zero (and its service manager restarts it) rather than run on in a state nobody checked.
import '../dist/cli/main.js';
