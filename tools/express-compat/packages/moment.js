// moment: UTC parsing, formatting, durations, calendar math.
module.exports = () => {
  const moment = require("moment");
  const m = moment.utc("2024-01-31T08:15:00Z");
  return {
    format: m.clone().add(1, "month").format("dddd, MMMM Do YYYY, h:mm:ss a"),
    iso: m.clone().startOf("week").toISOString(),
    diff: moment.utc("2024-12-25").diff(m, "days"),
    duration: moment.duration(90, "minutes").humanize(),
    from: m.from(m.clone().add(2, "hours")),
    valid: moment.utc("2024-02-30", "YYYY-MM-DD", true).isValid(),
  };
};
