/**
 * The one way product code reaches zod: `zod/mini`, whose functions build schemas without
 * attaching classic's chainable methods to each (a cold start budget; see docs/benchmarks.md),
 * with zod's English messages configured as classic would. `zod/mini` leaves messages
 * unconfigured, and every default issue would read "Invalid input"; clients read these messages
 * in 400 answers, so they must not depend on whether something else happened to load classic.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
// No generated parsers: on its first parse of each object schema zod writes a fast path as
// source and compiles it (`new Function`), which a function's first invocation pays for every
// shape it reads. Without it the first request is shorter (CPU of a cold process, three A/B
// runs: API -4 to -17 ms, processor -4 to -16) and a warm parse of a stored account or task
// costs the same within a few microseconds.
config({ jitless: true });

export * from 'zod/mini';
