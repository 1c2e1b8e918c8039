import { expect, test } from 'vitest';
import { AgentLogger } from './agent-logger.js';

test('a level change reaches loggers made before it, children of children included', () => {
  const l = new AgentLogger('info');
  const child = l.logger.child({ component: 'mesh' });
  const grandchild = child.child({ peer: 'node-b' });
  expect(grandchild.isLevelEnabled('debug')).toBe(false);
  l.setLevel('debug');
  expect([l.logger.level, child.level, grandchild.level]).toEqual(['debug', 'debug', 'debug']);
  expect(grandchild.isLevelEnabled('debug')).toBe(true);
  l.setLevel('warn');
  expect(child.isLevelEnabled('info')).toBe(false);
});
