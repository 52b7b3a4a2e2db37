// markdown-it: CommonMark rendering, linkify, typographer.
module.exports = () => {
  const MarkdownIt = require("markdown-it");
  const md = new MarkdownIt({ linkify: true, typographer: true });
  return md.render("# Hi\n\n\"Quotes\" -- and (c) www.example.com\n\n1. one\n2. two\n\n> quote\n");
};
