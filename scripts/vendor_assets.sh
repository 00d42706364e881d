#!/usr/bin/env bash
# Copy the front-end files tumbuh serves at run time from npm packages into
# src/tumbuh/web/static/vendor/, with their licence files. Run after changing package.json;
# commit the result, so a fresh machine needs neither node nor a CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-audit --no-fund --ignore-scripts
out=src/tumbuh/web/static/vendor
rm -rf "$out"
mkdir -p "$out/echarts" "$out/leaflet/images" "$out/swagger-ui" "$out/axe-core"
cp node_modules/echarts/dist/echarts.min.js "$out/echarts/"
cp node_modules/echarts/LICENSE node_modules/echarts/NOTICE "$out/echarts/"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$out/leaflet/"
cp node_modules/leaflet/dist/images/*.png "$out/leaflet/images/"
cp node_modules/leaflet/LICENSE "$out/leaflet/"
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
  node_modules/swagger-ui-dist/LICENSE "$out/swagger-ui/"
# axe-core: accessibility checks injected by the browser tests (same origin, so the CSP allows it).
cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE "$out/axe-core/"
{
  echo "Vendored by scripts/vendor_assets.sh from npm on $(date -u +%F):"
  for p in echarts leaflet swagger-ui-dist axe-core; do
    echo "- $p $(node -p "require('./node_modules/$p/package.json').version") ($(node -p "require('./node_modules/$p/package.json').license"))"
  done
} > "$out/VERSIONS.txt"
cat "$out/VERSIONS.txt"
