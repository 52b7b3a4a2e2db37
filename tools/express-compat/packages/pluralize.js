// pluralize.
module.exports = () => {
  const pluralize = require("pluralize");
  return [pluralize("person"), pluralize("octopus"), pluralize.singular("geese"), pluralize("test", 1, true), pluralize("test", 5, true), pluralize.isPlural("sheep")];
};
