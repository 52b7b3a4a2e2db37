// papaparse: CSV parse (header, dynamic typing, quotes) and unparse.
module.exports = () => {
  const Papa = require("papaparse");
  const r = Papa.parse('name,age,note\nann,31,"likes, commas"\nbob,x,"say ""hi"""\n', { header: true, dynamicTyping: true, skipEmptyLines: true });
  return { data: r.data, errors: r.errors, fields: r.meta.fields, unparsed: Papa.unparse([{ a: 1, b: "x,y" }, { a: 2, b: 'q"' }]) };
};
