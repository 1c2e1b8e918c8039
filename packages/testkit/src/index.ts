export { type PromSample, parsePrometheusText } from './prometheus-text.js';
export { createTestPki, type TestPki } from './test-pki.js';
export { waitUntil } from './wait.js';
