// Everything: the browser-safe schemas plus the Node-only key and TURN helpers.
export * from './browser.js';
export * from './keys.js';
export * from './routes.js';
export * from './turn.js';
