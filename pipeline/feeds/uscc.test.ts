import { describe, expect, it } from 'vitest';
import {
  isValidUscc,
  normaliseUscc,
  usccCheckChar,
  usccProblem,
  withUsccCheckChar,
} from './uscc.ts';

describe('USCC (GB 32100-2015)', () => {
  it('accepts the example code of the standard', () => {
    expect(isValidUscc('91350100M000100Y43')).toBe(true);
    expect(usccCheckChar('91350100M000100Y4')).toBe('3');
  });

  it('names the right check character', () => {
    expect(usccProblem('91440400MA4UXXXX3X')).toBe(
      'uscc 91440400MA4UXXXX3X: check digit should be 3',
    );
  });

  it('rejects letters that never occur and wrong lengths', () => {
    expect(usccProblem('91440400MA4UIXXX3X')).toMatch(/character 'I' at position 13/);
    expect(usccProblem('9144')).toMatch(/must be 18 characters, got 4/);
  });

  it('folds case and full-width characters', () => {
    const c = withUsccCheckChar('91440400MA4UABC12');
    const wide = c
      .toLowerCase()
      .replace(/[0-9a-z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));
    expect(normaliseUscc(` ${wide} `)).toBe(c);
  });

  it('maps a check value of 31 to 0', () => {
    // brute force a prefix whose check value is 0 and verify the round trip
    let found = 0;
    for (let i = 0; i < 500 && found === 0; i++) {
      const prefix = `9144040${String(i).padStart(3, '0')}MA4UAB1`;
      if (usccCheckChar(prefix) === '0') found++;
      expect(isValidUscc(withUsccCheckChar(prefix))).toBe(true);
    }
    expect(found).toBe(1);
  });
});
