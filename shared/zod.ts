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

export * from 'zod/mini';
