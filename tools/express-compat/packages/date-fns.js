// date-fns: formatting, arithmetic and parsing in UTC.
module.exports = () => {
  const { format, addDays, differenceInCalendarDays, parseISO, formatDistanceStrict, startOfWeek, isValid } = require("date-fns");
  const d = parseISO("2024-02-27T10:30:00Z");
  return {
    format: format(addDays(d, 3), "yyyy-MM-dd EEEE"),
    diff: differenceInCalendarDays(parseISO("2024-12-25"), parseISO("2024-01-01")),
    distance: formatDistanceStrict(d, addDays(d, 45)),
    week: startOfWeek(d).getDay(),
    valid: isValid(parseISO("2024-13-45")),
  };
};
