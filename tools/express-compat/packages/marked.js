// marked: Markdown to HTML (GFM tables, code, lists).
module.exports = () => {
  const { marked } = require("marked");
  return marked.parse("# Title\n\nSome *em* and **strong** `code`.\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n```js\nlet a = 1;\n```\n");
};
