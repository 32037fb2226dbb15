import { TZDateMini } from '@date-fns/tz/date/mini';
import { tzOffset } from '@date-fns/tz/tzOffset';
import { UTCDateMini } from '@date-fns/utc/date/mini';
import type { ContextFn } from 'date-fns';

/**
 * Time-zone math for the business zone, with UTC (the default policy) computed without Intl:
 * `@date-fns/tz` reads every offset through an `Intl.DateTimeFormat`, whose first construction
 * in a process initialises ICU's time-zone data (about 20 ms of a cold start) and whose every
 * call formats a date. In UTC the offset is always zero, so UTC dates are plain UTC fields.
 * The "mini" date classes throughout: the full UTCDate builds three Intl formatters for its
 * toString when its module loads, initialising ICU anyway.
 */
export function isUtcZone(zone: string): boolean {
  return zone === 'UTC' || zone === 'Etc/UTC';
}

/** The zone's UTC offset at `date`, in minutes (NaN for a name that is not a time zone). */
export function zoneOffset(zone: string, date: Date): number {
  return isUtcZone(zone) ? 0 : tzOffset(zone, date);
}

/** A date-fns `in` context computing in the zone. */
export function zoneContext(zone: string): ContextFn<Date> {
  return isUtcZone(zone) ? (value) => new UTCDateMini(+new Date(value)) : (value) => new TZDateMini(+new Date(value), zone);
}

/** The instant `ms` as a date whose fields read the zone's wall clock. */
export function zonedDate(ms: number, zone: string): Date {
  return isUtcZone(zone) ? new UTCDateMini(ms) : new TZDateMini(ms, zone);
}

/** The first instant of a calendar day (month from 0) in the zone, in ms. */
export function zonedDayStart(zone: string, year: number, month: number, day: number): number {
  return isUtcZone(zone) ? new UTCDateMini(year, month, day).getTime() : new TZDateMini(year, month, day, zone).getTime();
}
