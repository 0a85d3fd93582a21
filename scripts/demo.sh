#!/usr/bin/env bash
# The demo, from a fresh Debian machine: installs and starts what it needs
# (Docker engine, base images, the example pair, code-server), builds the
# extension, and starts it in a real VS Code (code-server) on a demo folder.
# Open the printed address in a browser, then Compare Images: the same
# Dockerfile built on a laptop and on a Windows CI runner, where mod_fcgid
# silently never starts.
#
#   scripts/demo.sh [--port N] [--bind ADDR]    VS Code in the browser (default 127.0.0.1:8080)
#   scripts/demo.sh --cli [diff options]        the CLI on the same pair instead
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

port=8080 bind=127.0.0.1 cli=0
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --bind) bind=$2; shift 2 ;;
    --cli) cli=1; shift; break ;;
    *) echo "demo: unknown option $1 (--port N, --bind ADDR, --cli)" >&2; exit 2 ;;
  esac
done

bash scripts/setup-host.sh
[ -d node_modules ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || npm ci --no-audit --no-fund
npm run --silent build
bash scripts/build-fixtures.sh php-fcgid >&2

if [ "$cli" = 1 ]; then
  set +e
  node dist/cli.js diff cc-example/php-fcgid:laptop cc-example/php-fcgid:ci "$@"
  code=$?
  echo "(exit code $code: 0 same, 1 different, 2 error)" >&2
  exit $((code == 1 ? 0 : code))
fi

bash scripts/setup-vscode.sh
CS_BIN=${CC_TOOLS_DIR:-$HOME/.cache/container-compare-tools}/code-server-4.100.3/node_modules/.bin/code-server
STATE=${XDG_STATE_HOME:-$HOME/.local/state}/container-compare-demo
mkdir -p "$STATE/user/User" "$STATE/extensions" "$STATE/workspace"
cat >"$STATE/workspace/README.md" <<'MD'
# Container Compare demo

Two images from one Dockerfile (`test/fixtures/examples/php-fcgid` in the repository):
`cc-example/php-fcgid:laptop` serves a PHP page; `cc-example/php-fcgid:ci`, built on a
Windows CI runner, serves the PHP **source** instead. Both builds passed. Why?

1. Click the **Container Compare** icon in the activity bar. The **Images** view lists
   the engine's images; expand `cc-example/php-fcgid` → `laptop` to see its numbered
   layers, what each adds, changes or deletes, and its merged filesystem.
2. Run **Compare Images** (F1, or the button in the view title) and pick `laptop`, then `ci`.
3. The **Findings** view names the likely cause first (a CRLF install script that a
   RUN step executed); its evidence opens in one click. The **Comparison** view shows
   the shared base layers, the layers that differ, the changed files grouped by
   reason, the packages and what should not ship. Click a file to open VS Code's diff
   editor: try `install-fcgid.sh` under *Line endings and mode/owner*, then
   `fcgid.load` under *Removed*.
4. **Run Side by Side** (the ▷ button in the Comparison view's title) starts both
   images: the startup logs side by side show `mod_fcgid` starting on one side only,
   and `GET /` shows the CI image serving its PHP source. Stop removes the containers.
5. **Export Report** writes the same JSON or Markdown as the CLI.
MD
cat >"$STATE/user/User/settings.json" <<'JSON'
{
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "readme",
  "workbench.colorTheme": "Default Dark Modern"
}
JSON

# code-server takes the extension under development from the page address, not its command line.
url=$(node -e '
  const [bind, port, root, ws] = process.argv.slice(1);
  const host = bind === "0.0.0.0" ? "127.0.0.1" : bind;
  const payload = [["extensionDevelopmentPath", `vscode-remote://${host}:${port}${root}`]];
  console.log(`http://${host}:${port}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
' "$bind" "$port" "$ROOT" "$STATE/workspace")

cat >&2 <<MSG

  Container Compare is starting in VS Code (code-server) at http://$bind:$port/
  Open this address (it loads the extension from $ROOT):

    $url

  Then: the Container Compare icon in the activity bar, or F1 → "Compare Images",
  and pick cc-example/php-fcgid:laptop, then cc-example/php-fcgid:ci.
  (On a remote machine: ssh -L $port:127.0.0.1:$port HOST, then open the address locally.)
  Ctrl-C stops it.

MSG
unset VSCODE_IPC_HOOK_CLI
exec env EXTENSIONS_GALLERY='{}' "$CS_BIN" --config /dev/null --auth none --bind-addr "$bind:$port" \
  --disable-telemetry --disable-update-check --disable-getting-started-override \
  --user-data-dir "$STATE/user" --extensions-dir "$STATE/extensions"
