import { expect, test } from 'vitest';
import { resumePoint } from './events.js';

test('a stream resumes only from a point its own instance numbered', () => {
  expect(resumePoint('i-a:42', undefined, 'i-a')).toBe(42);
  expect(resumePoint('i-b:42', undefined, 'i-a')).toBeNaN();
  expect(resumePoint('42', undefined, 'i-a')).toBe(42); // a console of an older server
  expect(resumePoint('42', 'i-a', 'i-a')).toBe(42);
  expect(resumePoint('42', 'i-b', 'i-a')).toBeNaN();
  expect(resumePoint(undefined, 'i-a', 'i-a')).toBeNaN();
  expect(resumePoint('i-a:-1', undefined, 'i-a')).toBeNaN();
  expect(resumePoint('x'.repeat(100), undefined, 'i-a')).toBeNaN();
});
