#!/bin/sh
# Installs the live-feed example into a henv of a running hbf:
#   examples/live-feed/install.sh http://HASH.localhost:5309 OWNER PASSWORD
# It logs in as the henv's owner, uploads the app's documents, and lets
# signed-in users read their own rows of `files` and `jobs` (a grant and a
# row policy `owner = $username`, so each user's feed shows only theirs).
set -eu
site=${1:?usage: install.sh SITE_URL OWNER PASSWORD}
owner=${2:?owner}
password=${3:?password}
here=$(cd "$(dirname "$0")" && pwd)

token=$(curl -fsS -H 'Content-Type: application/json' \
  -d "{\"username\":\"$owner\",\"password\":\"$password\"}" "$site/_hbf/login" |
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "install.sh: login failed" >&2; exit 1; }
auth="Authorization: Bearer $token"

put() {  # put PATH CONTENT_TYPE
  curl -fsS -o /dev/null -X PUT -H "$auth" -H "Content-Type: $2" --data-binary "@$here/$1" "$site/_api/documents/$1"
}
put _system/router.js text/javascript
put index.html text/html
put app.js text/javascript
put style.css text/css
curl -fsS -o /dev/null "$site/" # the router runs once: its tables exist from here on

for table in files jobs; do
  curl -fsS -o /dev/null -H "$auth" -H 'Content-Type: application/json' \
    -d "{\"role\":\"user\",\"table\":\"$table\",\"select\":true}" "$site/_api/permissions"
  curl -sS -o /dev/null -H "$auth" -H 'Content-Type: application/json' \
    -d "{\"table\":\"$table\",\"name\":\"own rows\",\"role\":\"user\",\"operation\":\"select\",\"condition\":\"owner = \$username\"}" \
    "$site/_api/policies"
done
echo "installed: open $site/ and sign in (users: POST $site/_api/users as the owner, or /_hbf/signup if enabled)"
