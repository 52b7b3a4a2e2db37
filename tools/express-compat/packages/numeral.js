// numeral: number formatting and unformatting.
module.exports = () => {
  const numeral = require("numeral");
  return [numeral(1234567.891).format("0,0.00"), numeral(0.256).format("0.0%"), numeral(1536).format("0.0b"), numeral(-1234).format("($0,0)"), numeral("1.2k").value(), numeral(3725).format("00:00:00")];
};
