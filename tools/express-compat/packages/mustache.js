// mustache: sections, partials, escaping.
module.exports = () => {
  const Mustache = require("mustache");
  return Mustache.render("{{title}}: {{#items}}[{{name}}]{{/items}}{{^empty}} none{{/empty}} {{{raw}}} {{> p}}", { title: "<T>", items: [{ name: "a" }, { name: "b" }], empty: [], raw: "<b>" }, { p: "partial {{title}}" });
};
