import { InvalidArgumentError } from 'commander';
import { expect, test } from 'vitest';
import {
  collectMobility,
  collectMobilityOrNone,
  parseCidrList,
  parseCidrListOrNone,
  parseDnsSuffix,
  parseDurationOption,
  parseListenOption,
  parseMtu,
  parsePort,
  parsePositiveInt,
  splitUrls,
} from './arg-parsers.js';

test('URL lists split on commas, blanks dropped', () => {
  expect(splitUrls(' http://a:1, ,http://b:2,')).toEqual(['http://a:1', 'http://b:2']);
  expect(splitUrls('')).toEqual([]);
});

test('numbers outside their range are flag errors', () => {
  expect(parsePort('0')).toBe(0);
  expect(parsePort('65535')).toBe(65535);
  for (const v of ['-1', '65536', '1.5', 'x']) expect(() => parsePort(v)).toThrow(InvalidArgumentError);
  expect(parsePositiveInt('3')).toBe(3);
  for (const v of ['0', '-2', '2.5', 'two'])
    expect(() => parsePositiveInt(v)).toThrow('expected a positive integer');
  expect(parseMtu('576')).toBe(576);
  expect(parseMtu('9000')).toBe(9000);
  expect(() => parseMtu('575')).toThrow('MTU must be 576..9000');
  expect(() => parseMtu('9001')).toThrow(InvalidArgumentError);
});

test('CIDR lists: trimmed, every entry checked; "" is none only where allowed', () => {
  expect(parseCidrList('10.0.0.0/8, fd00::/64')).toEqual(['10.0.0.0/8', 'fd00::/64']);
  expect(() => parseCidrList('10.0.0.0/8,10.1.2.3')).toThrow('not a CIDR: 10.1.2.3');
  expect(parseCidrList('')).toEqual([]);
  expect(parseCidrListOrNone('  ')).toEqual([]);
  expect(() => parseCidrListOrNone('nope')).toThrow(InvalidArgumentError);
});

test('durations, listen addresses and DNS suffixes turn their errors into flag errors', () => {
  expect(parseDurationOption('30m')).toBe(30 * 60_000);
  expect(() => parseDurationOption('7x')).toThrow(InvalidArgumentError);
  expect(parseListenOption('127.0.0.1:9101')).toEqual({ host: '127.0.0.1', port: 9101 });
  expect(() => parseListenOption('nonsense')).toThrow(InvalidArgumentError);
  expect(parseDnsSuffix(' Mesh.Example. ')).toBe('mesh.example');
  expect(() => parseDnsSuffix('bad suffix!')).toThrow(InvalidArgumentError);
});

test('--mobility collects one prefix per bridge and one bridge per prefix; set --mobility "" clears', () => {
  const one = collectMobility('br0=10.50.0.0/24', undefined);
  expect(one.map((m) => [m.bridge, m.prefix])).toEqual([['br0', '10.50.0.0/24']]);
  const two = collectMobility('br1=10.51.0.0/24', one);
  expect(two.map((m) => m.bridge)).toEqual(['br0', 'br1']);
  expect(() => collectMobility('br0=10.52.0.0/24', two)).toThrow(
    'one prefix per bridge, one bridge per prefix',
  );
  expect(() => collectMobility('br2=10.50.0.0/24', two)).toThrow(InvalidArgumentError);
  expect(() => collectMobility('not a spec', undefined)).toThrow(InvalidArgumentError);
  expect(collectMobilityOrNone('', undefined)).toEqual([]);
  expect(collectMobilityOrNone('', two)).toBe(two);
  expect(collectMobilityOrNone('br3=10.53.0.0/24', undefined)).toHaveLength(1);
});
