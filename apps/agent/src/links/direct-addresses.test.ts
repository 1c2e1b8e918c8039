import { describe, expect, test } from 'vitest';
import { DirectAddressBook } from './direct-addresses.js';

describe('direct address book', () => {
  test('a hint keeps only IP addresses, once each, at most 8', () => {
    const book = new DirectAddressBook();
    const many = Array.from({ length: 12 }, (_, i) => `10.0.0.${i}`);
    book.setHint('p', { port: 5000, hosts: ['host.example', '10.0.0.0', ...many] });
    expect(book.hint('p')).toEqual({ port: 5000, hosts: many.slice(0, 8) });
  });

  test('added hosts come first and keep the port; without a hint the default port is used', () => {
    const book = new DirectAddressBook();
    book.addHintHosts('p', ['192.0.2.1'], 41730);
    expect(book.hint('p')).toEqual({ port: 41730, hosts: ['192.0.2.1'] });
    book.setHint('q', { port: 5000, hosts: ['192.0.2.2'] });
    book.addHintHosts('q', ['192.0.2.3'], 41730);
    expect(book.hint('q')).toEqual({ port: 5000, hosts: ['192.0.2.3', '192.0.2.2'] });
  });

  test('where a peer was seen comes first, an IPv4-mapped address kept as IPv4', () => {
    const book = new DirectAddressBook();
    book.setHint('p', { port: 5000, hosts: ['192.0.2.2', '192.0.2.9'] });
    book.learn('p', { address: '::ffff:198.51.100.7', port: 6000 }, 10);
    book.learn('p', { address: '192.0.2.9', port: 5000 }, 20);
    expect(book.hint('p')?.hosts).toEqual(['192.0.2.9', '198.51.100.7', '192.0.2.2']);
    expect(book.targets('p')).toEqual([
      { host: '192.0.2.9', port: 5000, at: 20 },
      { host: '198.51.100.7', port: 6000, at: 10 },
      { host: '192.0.2.2', port: 5000, at: 0 },
    ]);
    // Seen again at an address: moved to the front, not listed twice.
    book.learn('p', { address: '198.51.100.7', port: 6000 }, 30);
    expect(book.targets('p').map((e) => `${e.host}:${e.port}@${e.at}`)).toEqual([
      '198.51.100.7:6000@30',
      '192.0.2.9:5000@20',
      '192.0.2.2:5000@0',
    ]);
  });

  test('at most 8 learned addresses and 16 targets', () => {
    const book = new DirectAddressBook();
    book.setHint('p', { port: 5000, hosts: Array.from({ length: 8 }, (_, i) => `10.0.1.${i}`) });
    for (let i = 0; i < 12; i++) book.learn('p', { address: `10.0.2.${i}`, port: 6000 }, i);
    const targets = book.targets('p');
    expect(targets.filter((e) => e.port === 6000).map((e) => e.host)).toEqual(
      Array.from({ length: 8 }, (_, i) => `10.0.2.${11 - i}`),
    );
    expect(targets).toHaveLength(16);
  });

  test('only peers with a hint are in the cache; forget removes both kinds', () => {
    const book = new DirectAddressBook();
    book.learn('seen-only', { address: '192.0.2.1', port: 5000 }, 1);
    book.setHint('p', { port: 5000, hosts: ['192.0.2.2'] });
    expect([...book.allHints().keys()]).toEqual(['p']);
    expect(book.targets('seen-only')).toHaveLength(1);
    book.learn('p', { address: '192.0.2.3', port: 5000 }, 1);
    book.forget('p');
    book.forget('seen-only');
    expect(book.hint('p')).toBeUndefined();
    expect(book.targets('p')).toEqual([]);
    expect(book.targets('seen-only')).toEqual([]);
  });
});
