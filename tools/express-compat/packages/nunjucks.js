// nunjucks: renderString with filters, loops, macros, autoescape.
module.exports = () => {
  const nunjucks = require("nunjucks");
  const env = new nunjucks.Environment(null, { autoescape: true });
  return env.renderString(
    "{% macro li(x) %}<li>{{ x }}</li>{% endmacro %}Hello {{ name | upper }}!<ul>{% for i in items %}{{ li(i) }}{% endfor %}</ul>{{ html }} {{ items | join(',') }} {{ 3.14159 | round(2) }}",
    { name: "ann", items: ["a", "<b>"], html: "<i>" });
};
