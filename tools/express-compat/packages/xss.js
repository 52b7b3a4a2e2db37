// xss: filtering with the default and a custom white list.
module.exports = () => {
  const xss = require("xss");
  return [
    xss('<script>alert("xss");</script><a href="javascript:x" title="t">link</a><img src=x onerror=alert(1)>'),
    xss('<div class="a"><b>bold</b><i>it</i></div>', { whiteList: { b: [] }, stripIgnoreTag: true }),
  ];
};
