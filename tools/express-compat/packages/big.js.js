// big.js: arbitrary-precision decimals.
module.exports = () => {
  const Big = require("big.js");
  return [new Big("0.1").plus("0.2").toString(), new Big(2).pow(100).toFixed(), new Big("1").div(3).toPrecision(30), new Big("123.456").round(1).toString()];
};
