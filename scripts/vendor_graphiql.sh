#!/usr/bin/env bash
# Vendor the GraphiQL explorer's browser-ready JS/CSS into schema/static/graphiql/
# so the explorer works with no internet access (no CDN at run time).
#
# Pinned versions:
#   graphiql 4.1.2 is the newest GraphiQL that still ships prebuilt UMD bundles
#   (graphiql.min.js / graphiql.min.css). GraphiQL 5 is ESM-only and expects a
#   bundler (or esm.sh) plus Monaco web workers, so it cannot be served as a few
#   plain files. The UMD bundle needs React/ReactDOM as globals; React 19 dropped
#   UMD builds, so React 18.3.1 is used. graphql-js is bundled inside
#   graphiql.min.js (exposed as GraphiQL.GraphQL); the graphql package is only
#   installed here to satisfy peer dependencies and is not copied.
#
# Usage: scripts/vendor_graphiql.sh      (needs node + npm and access to the npm registry)
# Re-running replaces the vendored files; schema/static/graphiql/index.html is kept.
set -euo pipefail

GRAPHIQL_VERSION=4.1.2
EXPLORER_VERSION=4.0.6      # @graphiql/plugin-explorer, peer @graphiql/react ^0.34 = graphiql 4.1.x
REACT_VERSION=18.3.1
GRAPHQL_VERSION=16.11.0     # peer dependency only, not vendored

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo_root/schema/static/graphiql"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "Installing pinned npm packages into $tmp ..." >&2
npm install --no-save --prefix "$tmp" \
    --ignore-scripts --no-audit --no-fund --no-package-lock --loglevel=error \
    "graphiql@$GRAPHIQL_VERSION" \
    "@graphiql/plugin-explorer@$EXPLORER_VERSION" \
    "react@$REACT_VERSION" \
    "react-dom@$REACT_VERSION" \
    "graphql@$GRAPHQL_VERSION" >&2

nm="$tmp/node_modules"

# pkg_dir PACKAGE [FROM] -> directory of PACKAGE as Node resolves it from node_modules/FROM
# (npm may nest a dependency under its dependent, e.g. graphiql-explorer under the plugin).
pkg_dir() {
    node -e 'const path = require("path");
             const from = path.join(process.argv[1], process.argv[3] || "");
             process.stdout.write(path.dirname(require.resolve(process.argv[2] + "/package.json", { paths: [from] })));' \
        "$nm" "$1" "${2:-}"
}

# pkg_field PACKAGE FIELD [FROM] -> package.json field of the installed package
pkg_field() {
    node -e 'const p = require(process.argv[1]); const v = p[process.argv[2]];
             process.stdout.write(typeof v === "object" ? (v.type || JSON.stringify(v)) : String(v));' \
        "$(pkg_dir "$1" "${3:-}")/package.json" "$2"
}

# Refuse to vendor anything other than the pinned versions.
check_version() {
    local got
    got="$(pkg_field "$1" version)"
    if [[ "$got" != "$2" ]]; then
        echo "error: $1 installed as $got, expected $2" >&2
        exit 1
    fi
}
check_version graphiql "$GRAPHIQL_VERSION"
check_version @graphiql/plugin-explorer "$EXPLORER_VERSION"
check_version react "$REACT_VERSION"
check_version react-dom "$REACT_VERSION"
# graphiql-explorer is bundled into the plugin's UMD file; record whatever version was resolved.
EXPLORER_BASE_DIR="$(pkg_dir graphiql-explorer @graphiql/plugin-explorer)"
EXPLORER_BASE_VERSION="$(pkg_field graphiql-explorer version @graphiql/plugin-explorer)"

# Vendored file name -> source path inside node_modules.
files=(
    "react.production.min.js:react/umd/react.production.min.js"
    "react-dom.production.min.js:react-dom/umd/react-dom.production.min.js"
    "graphiql.min.js:graphiql/graphiql.min.js"
    "graphiql.min.css:graphiql/graphiql.min.css"
    "graphiql-plugin-explorer.umd.js:@graphiql/plugin-explorer/dist/index.umd.js"
    "graphiql-plugin-explorer.css:@graphiql/plugin-explorer/dist/style.css"
)
# Licence texts. @graphiql/plugin-explorer ships no LICENSE file in its tarball;
# it lives in the same graphql/graphiql monorepo under the same MIT licence, so
# graphiql's LICENSE is used for it.
licenses=(
    "licenses/react.LICENSE.txt:react/LICENSE"
    "licenses/react-dom.LICENSE.txt:react-dom/LICENSE"
    "licenses/graphiql.LICENSE.txt:graphiql/LICENSE"
    "licenses/graphiql-plugin-explorer.LICENSE.txt:graphiql/LICENSE"
    "licenses/graphiql-explorer.LICENSE.txt:${EXPLORER_BASE_DIR#"$nm/"}/LICENSE"
)

mkdir -p "$dest"
# Remove files from a previous run (keep index.html and anything else hand-written).
for entry in "${files[@]}"; do rm -f "$dest/${entry%%:*}"; done
rm -rf "$dest/licenses" "$dest/VERSIONS.txt"
mkdir -p "$dest/licenses"

for entry in "${files[@]}" "${licenses[@]}"; do
    name="${entry%%:*}"
    src="$nm/${entry#*:}"
    if [[ ! -s "$src" ]]; then
        echo "error: missing or empty $src" >&2
        exit 1
    fi
    cp "$src" "$dest/$name"
done

# Guard: nothing vendored may pull code, styles or fonts from a CDN at run time.
if grep -nE -o '(unpkg\.com|cdn\.jsdelivr\.net|esm\.sh|cdnjs\.cloudflare\.com|fonts\.googleapis\.com|fonts\.gstatic\.com)' \
        "$dest"/*.js "$dest"/*.css; then
    echo "error: vendored bundle references a CDN host (see above)" >&2
    exit 1
fi
if grep -nE -o '@import|url\((["'"'"']?)(https?:)?//' "$dest"/*.css; then
    echo "error: vendored CSS loads external resources (see above)" >&2
    exit 1
fi

{
    echo "# Vendored by scripts/vendor_graphiql.sh from the npm registry. Do not edit by hand."
    echo "# Served by the app at /graphiql/static/. package@version  licence"
    echo "graphiql@$GRAPHIQL_VERSION  $(pkg_field graphiql license)"
    echo "@graphiql/plugin-explorer@$EXPLORER_VERSION  $(pkg_field @graphiql/plugin-explorer license)"
    echo "graphiql-explorer@$EXPLORER_BASE_VERSION  $(pkg_field graphiql-explorer license @graphiql/plugin-explorer)  (bundled inside graphiql-plugin-explorer.umd.js)"
    echo "react@$REACT_VERSION  $(pkg_field react license)"
    echo "react-dom@$REACT_VERSION  $(pkg_field react-dom license)"
    echo
    echo "# graphiql.min.js also bundles @graphiql/react, @graphiql/toolkit, graphql-js, CodeMirror 5,"
    echo "# markdown-it, Radix UI and other npm dependencies of graphiql@$GRAPHIQL_VERSION (all under"
    echo "# permissive licences); see graphiql's package.json for the list."
    echo
    echo "# sha256  file"
    (cd "$dest" && for entry in "${files[@]}" "${licenses[@]}"; do sha256sum "${entry%%:*}"; done)
} > "$dest/VERSIONS.txt"

echo "Vendored GraphiQL into $dest:" >&2
(cd "$dest" && du -ch -- *.js *.css licenses/* VERSIONS.txt | tail -n 1) >&2
