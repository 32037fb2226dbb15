import { describe, expect, it } from 'vitest';
import { MAX_CONFLICT_ATTEMPTS, retryOptimistic } from '../../shared/store/optimistic.ts';

class Race extends Error {}
const isRace = (error: unknown) => error instanceof Race;

describe('retryOptimistic', () => {
  it('redoes an attempt that lost its race and returns what the first winning attempt returns', async () => {
    const seen: number[] = [];
    const result = await retryOptimistic(
      async (n) => {
        seen.push(n);
        if (n < 3) throw new Race('lost');
        return `won at ${n}`;
      },
      { isRace },
    );
    expect(result).toBe('won at 3');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('makes MAX_CONFLICT_ATTEMPTS (8) attempts in all, then throws what exhausted makes of the last race', async () => {
    expect(MAX_CONFLICT_ATTEMPTS).toBe(8);
    let attempts = 0;
    const last = new Race('still lost');
    const error = await retryOptimistic(
      async () => {
        attempts++;
        throw last;
      },
      { isRace, exhausted: (cause) => new Error('gave up', { cause }) },
    ).catch((e: unknown) => e);
    expect(attempts).toBe(8);
    expect((error as Error).message).toBe('gave up');
    expect((error as Error).cause).toBe(last);
  });

  it('throws the race itself when no exhausted is given', async () => {
    const last = new Race('lost');
    await expect(retryOptimistic(async () => Promise.reject(last), { isRace })).rejects.toBe(last);
  });

  it('throws any other error at once, without another attempt', async () => {
    let attempts = 0;
    const other = new Error('not a race');
    await expect(
      retryOptimistic(
        async () => {
          attempts++;
          throw other;
        },
        { isRace },
      ),
    ).rejects.toBe(other);
    expect(attempts).toBe(1);
  });
});
