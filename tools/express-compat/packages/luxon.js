// luxon: DateTime arithmetic and formatting in UTC, Duration, Interval; and,
// through Intl, IANA zones, locales, relative times and number formatting.
module.exports = () => {
  const { DateTime, Duration, Interval, Info } = require("luxon");
  const dt = DateTime.fromISO("2024-03-10T12:00:00Z", { zone: "utc" });
  const ny = dt.setZone("America/New_York");
  return {
    iso: dt.plus({ days: 3, hours: 5 }).toISO(),
    format: dt.toFormat("yyyy LLL dd, HH:mm"),
    locale: dt.setLocale("en-US").toLocaleString(DateTime.DATE_FULL),
    weekday: dt.weekdayLong,
    duration: Duration.fromObject({ hours: 2, minutes: 90 }).shiftTo("hours", "minutes").toObject(),
    interval: Interval.fromDateTimes(dt, dt.plus({ weeks: 2 })).length("days"),
    intervalLocale: [DateTime.DATE_MED, DateTime.TIME_SIMPLE].map((f) => Interval.fromDateTimes(dt, dt.plus({ days: 3, hours: 2 })).toLocaleString(f)),
    relative: dt.toRelative({ base: dt.plus({ days: 2 }) }),
    zoned: [ny.toISO(), ny.offsetNameShort, ny.offsetNameLong, ny.isInDST, ny.toFormat("ZZZZ ZZ")],
    zones: ["Asia/Kolkata", "Europe/Berlin", "Australia/Sydney", "Nowhere/Land"].map((z) => {
      const d = dt.setZone(z);
      return d.isValid ? d.toISO() : d.invalidReason;
    }),
    dstGap: DateTime.fromObject({ year: 2024, month: 3, day: 10, hour: 2, minute: 30 }, { zone: "America/New_York" }).toISO(),
    locales: ["de-DE", "fr-FR", "ja-JP", "en-GB"].map((l) => [
      dt.setLocale(l).toLocaleString(DateTime.DATETIME_MED),
      dt.setLocale(l).toFormat("cccc d LLLL yyyy"),
      dt.setLocale(l).toRelative({ base: dt.plus({ hours: 3 }) }),
      dt.setLocale(l).toRelativeCalendar({ base: dt.plus({ days: 1 }) }),
    ]),
    parsed: DateTime.fromFormat("10 März 2024", "d MMMM yyyy", { locale: "de", zone: "utc" }).toISODate(),
    months: Info.months("short", { locale: "fr" }),
    weekdays: Info.weekdays("long", { locale: "de" }),
    durationHuman: Duration.fromObject({ hours: 1, minutes: 30 }).reconfigure({ locale: "en" }).toHuman(),
    localeOpts: dt.resolvedLocaleOptions(),
  };
};
