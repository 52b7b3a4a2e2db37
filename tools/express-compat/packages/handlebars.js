// handlebars: compile, helpers, partials, escaping.
module.exports = () => {
  const Handlebars = require("handlebars");
  const hb = Handlebars.create();
  hb.registerHelper("loud", (s) => String(s).toUpperCase());
  hb.registerPartial("item", "<li>{{name}}</li>");
  const t = hb.compile("<h1>{{loud title}}</h1><ul>{{#each items}}{{> item}}{{/each}}</ul>{{{raw}}} {{esc}}{{#if none}}x{{else}}y{{/if}}");
  return t({ title: "hey", items: [{ name: "a" }, { name: "b" }], raw: "<i>r</i>", esc: "<&>" });
};
