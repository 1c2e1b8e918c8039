import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { LinkEvents } from './link-events.js';

describe('LinkEvents', () => {
  test('a throwing listener is logged and the others still hear it', () => {
    const logged: unknown[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const events = new LinkEvents(log);
    const heard: string[] = [];
    events.state.add(() => {
      throw new Error('boom');
    });
    events.state.add((next, prev) => heard.push(`${prev}->${next}`));
    events.state.emit('connected', 'connecting');
    expect(heard).toEqual(['connecting->connected']);
    expect(logged).toMatchObject([{ msg: 'listener threw' }]);
  });

  test('after clear nobody hears anything', () => {
    const events = new LinkEvents(pino({ level: 'silent' }));
    const heard: unknown[] = [];
    events.packet.add((f) => heard.push(f));
    events.control.add((m) => heard.push(m));
    events.path.add((p) => heard.push(p));
    events.close.add((r) => heard.push(r));
    events.clear();
    events.packet.emit(Buffer.from('x'));
    events.control.emit('m');
    events.path.emit(null);
    events.close.emit('closed');
    expect(heard).toEqual([]);
  });
});
