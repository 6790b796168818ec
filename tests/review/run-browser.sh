#!/bin/sh
# Runs the browser test, skipping (77) with a clear message when Node.js is
# missing; browser.mjs itself skips without Chromium or playwright-core.
# Screenshots go to $BW_SCREENSHOTS when set (docs/ holds the committed ones:
# BW_SCREENSHOTS=$PWD/docs ctest --test-dir build -R test_review_browser).
#   run-browser.sh NODE BULWARKD BULWARK_CLI SOURCE_DIR NODE_MODULES
node=$1
shift
if ! command -v "$node" >/dev/null 2>&1; then
  echo "SKIP: Node.js not found ($node); install Debian's nodejs"
  exit 77
fi
shots=${BW_SCREENSHOTS:+$(cd "$BW_SCREENSHOTS" && pwd)}
exec "$node" "$(dirname "$0")/browser.mjs" "$@" $shots
