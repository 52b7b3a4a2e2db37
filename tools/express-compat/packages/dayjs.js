// dayjs: UTC plugin, arithmetic, formatting, relative time.
module.exports = () => {
  const dayjs = require("dayjs");
  dayjs.extend(require("dayjs/plugin/utc"));
  dayjs.extend(require("dayjs/plugin/relativeTime"));
  const d = dayjs.utc("2024-02-28T23:00:00Z");
  return {
    format: d.add(1, "day").format("YYYY-MM-DD HH:mm dddd"),
    diff: dayjs.utc("2025-01-01").diff(d, "day"),
    from: d.from(d.add(3, "month")),
    startOf: d.startOf("month").toISOString(),
    valid: dayjs("nope").isValid(),
  };
};
