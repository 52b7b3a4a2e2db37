#include "documents/welcome_page.h"

#include "core/text.h"

namespace hbf::docs {
namespace {

constexpr const char* kTemplate = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{NAME}} on HBF</title>
<style>
 body{font:16px/1.6 system-ui,sans-serif;max-width:46rem;margin:2.5rem auto;padding:0 1rem;color:#222}
 code,pre{font:14px/1.5 ui-monospace,monospace;background:#f4f4f6;border-radius:4px}
 code{padding:.1rem .3rem} pre{padding:.8rem 1rem;overflow-x:auto}
 h1{margin-bottom:.2rem} .sub{color:#666;margin-top:0}
</style></head>
<body>
<h1>{{NAME}}</h1>
<p class="sub">A henv on HBF &mdash; <code>{{HASH}}</code></p>
<p>This app is one SQLite file holding its code, documents, users and data.
This page is the document <code>index.html</code>; replace it to make the app yours.</p>

<h2>Log in</h2>
<pre>curl -X POST {{URL}}/login \
  -H 'Content-Type: application/json' \
  -d '{"username":"{{NAME}}","password":"&hellip;"}'</pre>
<p>The answer holds a <code>token</code>; send it as <code>Authorization: Bearer &lt;token&gt;</code>.
Browsers get a session cookie as well. <code>GET /_api/me</code> tells you who you are.</p>

<h2>Add a route</h2>
<p>Server-side JavaScript lives in the document <code>_system/router.js</code>:</p>
<pre>import { Router } from "hbf:router";
import db from "hbf:db";
const router = new Router();
router.get("/hello", (req, res) =&gt; res.json({ msg: "hi" }));
export default router;</pre>
<pre>curl -X PUT {{URL}}/_api/documents/_system/router.js \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/javascript' \
  --data-binary @router.js</pre>

<h2>The API</h2>
<ul>
 <li><code>GET/PUT/POST/DELETE /_api/documents/{id}</code> &mdash; documents (this page is one); <code>GET /_api/documents?prefix=</code> lists them</li>
 <li><code>GET /_api/documents/search?q=</code> &mdash; full-text search</li>
 <li><code>/_api/graph/edges</code>, <code>/_api/graph/neighbours</code>, <code>/_api/graph/tags</code> &mdash; links and tags between documents</li>
 <li><code>/_api/users</code> &mdash; users of this app (owner and admins)</li>
</ul>
<p>Any other path serves the document of that name: <code>/about.html</code> is document <code>about.html</code>.</p>
</body></html>
)html";

}  // namespace

std::string WelcomePage(const std::string& name, const std::string& hash, const std::string& url) {
  std::string page = kTemplate;
  ReplaceAll(page, "{{NAME}}", HtmlEscape(name));
  ReplaceAll(page, "{{HASH}}", HtmlEscape(hash));
  ReplaceAll(page, "{{URL}}", HtmlEscape(url));
  return page;
}

}  // namespace hbf::docs
