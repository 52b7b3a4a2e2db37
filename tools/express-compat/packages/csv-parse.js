// csv-parse: sync API and the streaming API.
module.exports = () => new Promise((resolve, reject) => {
  const { parse } = require("csv-parse");
  const { parse: parseSync } = require("csv-parse/sync");
  const sync = parseSync("a,b\n1,\"x,y\"\n2,z\n", { columns: true, skip_empty_lines: true });
  const rows = [];
  const parser = parse({ delimiter: ";", cast: true });
  parser.on("readable", () => { let r; while ((r = parser.read()) !== null) rows.push(r); });
  parser.on("error", reject);
  parser.on("end", () => resolve({ sync, rows }));
  parser.write("1;2;three\n");
  parser.write("4;5.5;six\n");
  parser.end();
});
