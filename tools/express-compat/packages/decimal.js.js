// decimal.js: decimals, sqrt, exp, precision.
module.exports = () => {
  const Decimal = require("decimal.js");
  return [new Decimal("0.1").plus("0.2").toString(), new Decimal(2).sqrt().toString(), new Decimal(1).exp().toFixed(20), Decimal.set({ precision: 50 }).acos(-1).toString()];
};
