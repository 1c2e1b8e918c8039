export { createTestPki, type TestPki } from './test-pki.js';
