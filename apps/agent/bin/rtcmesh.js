#!/usr/bin/env -S node --max-semi-space-size=1
// --max-semi-space-size=1: V8's young generation grows to 16 MiB per semi-space under the agent's
// allocation rate (a Buffer per packet) and stays there; 1 MiB moves the same traffic with the
// agent's peak RSS at ~90 instead of ~145 MiB (bench/compare, README "Memory").
import '../dist/cli/main.js';
