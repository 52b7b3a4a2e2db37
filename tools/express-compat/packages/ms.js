// ms: durations both ways.
module.exports = () => {
  const ms = require("ms");
  return [ms("2 days"), ms("1h"), ms("-3.5m"), ms(60000), ms(2 * 60000, { long: true }), ms("nope"), ms(1e12)];
};
