#!/usr/bin/env bash
# Re-fetch the console's vendored view library from the npm registry at the version pinned in
# alerts/console/vendor/vendor.json and check it byte for byte (sha256). The console has no build
# step: the file is served as it is, an ES module.
set -euo pipefail
cd "$(dirname "$0")/.."
pin=alerts/console/vendor/vendor.json
version=$(python3 -c "import json; print(json.load(open('$pin'))['lit-html']['version'])")
sha=$(python3 -c "import json; print(json.load(open('$pin'))['lit-html']['sha256'])")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "lit-html@$version" >/dev/null 2>&1 && tar xzf "lit-html-$version.tgz")
echo "$sha  $tmp/package/lit-html.js" | sha256sum -c --quiet
cp "$tmp/package/lit-html.js" alerts/console/vendor/lit-html.js
cp "$tmp/package/LICENSE" alerts/console/vendor/LICENSE-lit-html
echo "lit-html $version: alerts/console/vendor/lit-html.js verified"
