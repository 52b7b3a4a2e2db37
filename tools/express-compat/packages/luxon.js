// luxon: DateTime arithmetic and formatting in UTC, Duration, Interval.
module.exports = () => {
  const { DateTime, Duration, Interval } = require("luxon");
  const dt = DateTime.fromISO("2024-03-10T12:00:00Z", { zone: "utc" });
  return {
    iso: dt.plus({ days: 3, hours: 5 }).toISO(),
    format: dt.toFormat("yyyy LLL dd, HH:mm"),
    locale: dt.setLocale("en-US").toLocaleString(DateTime.DATE_FULL),
    weekday: dt.weekdayLong,
    duration: Duration.fromObject({ hours: 2, minutes: 90 }).shiftTo("hours", "minutes").toObject(),
    interval: Interval.fromDateTimes(dt, dt.plus({ weeks: 2 })).length("days"),
    relative: dt.toRelative({ base: dt.plus({ days: 2 }) }),
  };
};
