// sanitize-html: default and custom allow-lists.
module.exports = () => {
  const sanitizeHtml = require("sanitize-html");
  const dirty = '<p onclick="x()">Hi <b>there</b><script>alert(1)</script><a href="javascript:alert(1)">x</a><img src="a.png"> &amp; &lt;</p>';
  return {
    plain: sanitizeHtml(dirty),
    custom: sanitizeHtml(dirty, { allowedTags: ["b", "img"], allowedAttributes: { img: ["src"] } }),
    text: sanitizeHtml(dirty, { allowedTags: [], allowedAttributes: {} }),
  };
};
