#!/usr/bin/env python3
"""Writes the committed seed corpora under fuzz/corpus/<target>/.

Run from the repository root: python3 fuzz/tools/make_seeds.py. The seeds are
small valid (and a few nearly valid) inputs in each target's input format
(see the comment at the top of fuzz/<target>.cpp); libFuzzer mutates from
there. Rerunning rewrites the same files.
"""
import gzip, io, os, struct, tarfile

root = os.path.join(os.path.dirname(__file__), "..", "corpus")


def put(target, name, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# http_parser_fuzz: 3 bytes of limits, 8 chunk sizes, then the stream.
limits = bytes([255, 31, 64])
chunks = bytes([63, 7, 1, 20, 63, 3, 63, 10])
http = {
    "get": "GET /a/b?x=1 HTTP/1.1\r\nHost: h.localhost\r\n\r\n",
    "pipelined": "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "post_cl": "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: h\r\n\r\n",
    "chunked": "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: v\r\n\r\n",
    "absolute": "GET http://x.localhost:5309/a/../%2e/b HTTP/1.1\r\nHost: other\r\n\r\n",
    "options": "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
    "expect": "PUT /d HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    "http10": "GET / HTTP/1.0\r\n\r\n",
    "upgrade": "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x80\0\0\0\0",
    "smuggle": "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
}
for name, text in http.items():
    put("http_parser_fuzz", name, limits + chunks + text.encode("latin-1"))

# host_routing_fuzz: path \n host \n x-forwarded-for \n trusted proxies.
for i, text in enumerate([
    "/a/./b/../c//d/\nabcd1234.localhost:5309\n10.0.0.1, 127.0.0.1\n127.0.0.0/8, ::1",
    "/%2e%2E/x%41%2f\nLOCALHOST.\n::ffff:1.2.3.4\n10.0.0.0/8",
    "a/%7e/%zz\n[::1]:80\n\n",
    "/docs/index.html\nzzzzzzzz.hbf.example.com\n",
    "%00/..%2F..\n5h9h66rt.localhost\n1.2.3.4,5.6.7.8\n0.0.0.0/0",
]):
    put("host_routing_fuzz", f"seed{i}", text)

# json_fuzz: JSON texts.
for i, text in enumerate([
    '{"a":[1,-2.5e10,true,false,null,"x\\u00e9\\ud83d\\ude00"],"b":{"":{}}}',
    '[9223372036854775807,-9223372036854775808,9223372036854775808,1e308,0.1,-0]',
    '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000"',
    ' [[[[[[[[[[]]]]]]]]]] ',
    '{"k":1,"k":2}',
    '"caf\xc3\xa9"',
]):
    put("json_fuzz", f"seed{i}", text)

# tarball_fuzz: npm-style tarballs (gzip + ustar/pax/GNU).
def tarball(members, fmt=tarfile.USTAR_FORMAT, compress=True):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if compress else raw

put("tarball_fuzz", "npm", tarball([("package/package.json", b'{"name":"x","version":"1.0.0"}'),
                                    ("package/index.js", b"module.exports = 1;\n")]))
put("tarball_fuzz", "pax_plain", tarball([("package/" + "d" * 120 + "/long.js", b"1"),
                                          ("package/a/./b.js", b"2")], fmt=tarfile.PAX_FORMAT, compress=False))
put("tarball_fuzz", "gnu", tarball([("p/" + "n" * 110, b"x")], fmt=tarfile.GNU_FORMAT))

# jwt_fuzz: a token as it is, or "header\nclaims" to be signed.
put("jwt_fuzz", "signed", '{"alg":"HS256","typ":"JWT","kid":"k1"}\n{"sub":"u1","exp":1800000000}')
put("jwt_fuzz", "expired", '{"alg":"HS256","kid":"k1"}\n{"exp":1}')
put("jwt_fuzz", "none", '{"alg":"none","kid":"k1"}\n{"exp":1800000000}')
put("jwt_fuzz", "token", "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJleHAiOjE4MDAwMDAwMDB9.AAAA")

# record_filter_fuzz: filter \n sort \n fields.
for i, text in enumerate([
    'status = "open" && (priority >= 2 || title ~ "a%b")\n-created_at,title\nid,title',
    "NOT (id IN (1, 2.5, 'x')) OR notes_2 IS NOT NULL\n+id\n",
    "title ^= 'a\\'b' and title $= \"c\" AND title !~ '_' and id != null\n\n*",
    "!!!(id=-9223372036854775808)\nid,id\nid,,title",
    "priority < 1e3 or priority > -0.5 or created_at <= true\npriority\nStatus",
]):
    put("record_filter_fuzz", f"seed{i}", text)

# form_fuzz: 1 byte picks the Content-Type, then the body.
for i, (t, body) in enumerate([
    (0, "a=1&b=%20x+y&c&&d=%E2%82%AC&a=2"),
    (1, '{"username":"u","password":"p"}'),
    (0, '{"json":"as form"}'),
    (3, "x"),
    (0, "bad=%G1"),
    (2, "sid=1; Path=/; domain=.evil; HttpOnly;Domain =x"),
    (0, "-9223372036854775808"),
]):
    put("form_fuzz", f"seed{i}", bytes([t]) + body.encode())

# ws_frame_fuzz: 1 byte of limit, 8 chunk sizes, then client frames.
def frame(op, payload, fin=True, mask=b"\x01\x02\x03\x04"):
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | op])
    if n < 126:
        head += bytes([0x80 | n])
    elif n <= 0xFFFF:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

ws_limit = bytes([200])
put("ws_frame_fuzz", "text", ws_limit + chunks + frame(1, "héllo".encode()) + frame(9, b"p") +
    frame(8, struct.pack(">H", 1000) + b"bye"))
put("ws_frame_fuzz", "fragments", ws_limit + chunks + frame(2, b"ab", fin=False) + frame(10, b"") +
    frame(0, b"cd", fin=False) + frame(0, b"e") + frame(1, b"x" * 300))
put("ws_frame_fuzz", "handshake", ws_limit + chunks + b"upgrade: websocket\nconnection: Upgrade\n"
    b"sec-websocket-version:13\nsec-websocket-key:dGhlIHNhbXBsZSBub25jZQ==\n")

# router_pattern_fuzz: pattern \n path.
for i, text in enumerate([
    "/users/:id\n/users/42",
    "/files/:path(*)\n/files/a/b/c.txt",
    "/:a-:b.:ext?\n/x-y.json",
    "/post/:id(\\d+)/:slug?\n/post/7/",
    "*\n/anything",
    "/a/(b|c)?/:d*\n/a/c/d/e",
    "/\\(x\\)/[.]+\n/(x)/..",
    "/api/v1/items\n/API/V1/ITEMS/",
]):
    put("router_pattern_fuzz", f"seed{i}", text)

# ejs_fuzz: template source (also the interpolated data).
for i, text in enumerate([
    "<h1><%= s %></h1>\n<%- n %>",
    "<% for (const x of list) { -%>\n  <li><%= x %></li>\n<% } -%>",
    "<%# comment %><%% literal %%>\n<%_ if (n) { _%>yes<%_ } _%>",
    "<a href=\"<%= '\"><script>' %>\">&'</a>",
    "<% include missing %>",
    "<%= n +",
]):
    put("ejs_fuzz", f"seed{i}", text)
