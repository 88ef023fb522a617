#!/usr/bin/env bash
# The OpenAPI document (Sources/YibaoGateway/OpenAPI/openapi.json) against a live gateway, with
# schemathesis 4: no 5xx answer, no undocumented status code, and every answer's content type,
# body and documented headers as the document says (docs/GATEWAY.md §15). Run by .ci/run.
#
# Starts a fresh `yibao serve --test-clock` on a free port with a temporary data directory, creates
# two sandboxes (most generated requests are sent into one through X-Yibao-Sandbox, so they reach
# the routes' logic instead of stopping at SANDBOX_NOT_FOUND), runs schemathesis with a fixed seed
# and a bounded number of examples, and stops the gateway on exit. Exits non-zero when
# schemathesis finds a failure.
#
# Settings (environment):
#   YIBAO_BINARY                 the gateway binary (default .build/debug/yibao; build it first)
#   SCHEMATHESIS_SEED            the seed (default 20261203)
#   SCHEMATHESIS_MAX_EXAMPLES    test cases per operation and phase (default 40)
#   SCHEMATHESIS_CONSOLE         1 (default): the /console/* operations too (signed in with a session cookie
#                                and the session's form token); 0: they are left out
#   SCHEMATHESIS_CHECKS          the checks (default below)
#   SCHEMATHESIS_REPORT_DIR      if set, JUnit and HAR reports are written there
#   SCHEMATHESIS_ARGS            more arguments for `schemathesis run` (word-split)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

binary="${YIBAO_BINARY:-.build/debug/yibao}"
schema="$root/Sources/YibaoGateway/OpenAPI/openapi.json"
seed="${SCHEMATHESIS_SEED:-20261203}"
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-40}"
console="${SCHEMATHESIS_CONSOLE:-1}"
checks="${SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance}"

if [ ! -x "$binary" ]; then
    echo "error: no gateway binary at $binary (swift build first, or set YIBAO_BINARY)" >&2
    exit 1
fi

# schemathesis 4 (the 3.x command line differs); from PyPI when missing. Debian 12 marks its Python
# as externally managed: try a user install, then with --break-system-packages.
schemathesis_major() { python3 -c 'import importlib.metadata as m; print(m.version("schemathesis").split(".")[0])' 2>/dev/null || echo 0; }
if [ "$(schemathesis_major)" -lt 4 ]; then
    echo "==> installing schemathesis>=4 from PyPI"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
        else sudo apt-get install -y -qq --no-install-recommends python3-pip >/dev/null; fi
    fi
    python3 -m pip install --quiet "schemathesis>=4" 2>/dev/null \
        || python3 -m pip install --quiet --user "schemathesis>=4" 2>/dev/null \
        || python3 -m pip install --quiet --user --break-system-packages "schemathesis>=4" 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages "schemathesis>=4"
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The demo credentials (every secret in them is public): admin token, channel token, an OAuth client.
read -r admin_token channel_token oauth_client oauth_secret < <(python3 - <<'EOF'
import json
c = json.load(open("certs/demo-credentials.json"))
oauth = next(i["oauth"] for i in c["institutions"] if "oauth" in i)
print(c["adminToken"], c["channel"]["token"], oauth["clientId"], oauth["clientSecret"])
EOF
) || true
if [ -z "${oauth_secret:-}" ]; then
    echo "error: could not read the tokens from certs/demo-credentials.json" >&2
    exit 1
fi

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
mkdir -p "$work/data"
echo "==> $binary serve --port $port --data-dir $work/data --certs certs --test-clock --log-level warning"
"$binary" serve --port "$port" --data-dir "$work/data" --certs certs --test-clock --log-level warning >"$work/server.log" 2>&1 &
server_pid=$!

# The helpers below talk to the gateway with Python's urllib (no curl needed).
cat >"$work/gateway.py" <<'EOF'
import json, re, sys, time, urllib.error, urllib.request
base, admin, command = sys.argv[1], sys.argv[2], sys.argv[3]
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs): return None
opener = urllib.request.build_opener(NoRedirect)
def call(method, path, body=None, headers={}):
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with opener.open(request, timeout=10) as response: return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error: return error.code, dict(error.headers), error.read()
if command == "wait":
    for _ in range(300):
        try:
            if call("GET", "/health")[0] == 200: sys.exit(0)
        except OSError: pass
        time.sleep(0.1)
    sys.exit(1)
if command == "sandbox":
    status, _, body = call("POST", "/admin/sandboxes", json.dumps({"label": "schemathesis"}).encode(),
                           {"Authorization": "Bearer " + admin, "Content-Type": "application/json"})
    assert status == 201, (status, body)
    print(json.loads(body)["id"])
if command == "console":
    status, headers, _ = call("POST", "/console/login", ("token=" + admin).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    cookie = re.search(r"yibao_console=([^;]+)", headers.get("Set-Cookie", ""))
    assert status == 303 and cookie, (status, headers)
    _, _, page = call("GET", "/console/trace", headers={"Cookie": "yibao_console=" + cookie.group(1)})
    form = re.search(rb'name="form" value="([^"]+)"', page)
    assert form, "no form token on /console/trace"
    print(cookie.group(1), form.group(1).decode())
EOF
gateway() { python3 "$work/gateway.py" "$base" "$admin_token" "$@"; }

if ! gateway wait || ! kill -0 "$server_pid" 2>/dev/null; then
    echo "error: the gateway did not come up; its log:" >&2
    cat "$work/server.log" >&2
    exit 1
fi
sandbox_a="$(gateway sandbox)"
sandbox_b="$(gateway sandbox)"
sandboxes="\"$sandbox_a\", \"$sandbox_b\""

# Fixture identifiers, so that path parameters often name something that exists.
read -r institutions persons < <(python3 - <<'EOF'
import json
f = json.load(open("fixtures/demo.json"))
print(json.dumps([i["code"] for i in f["institutions"]]).replace(" ", ""), json.dumps([p["psnNo"] for p in f["persons"]]).replace(" ", ""))
EOF
)

config="$work/schemathesis.toml"
cat >"$config" <<EOF
# Written by scripts/schemathesis.sh.
[cache]
enabled = false

[generation]
database = "none"

# Each operation gets the credentials of the security scheme it declares.
[auth.openapi]
adminToken = { bearer = "$admin_token" }
channelToken = { bearer = "$channel_token" }
oauthClient = { username = "$oauth_client", password = "$oauth_secret" }

[dictionaries]
sandbox = { values = [$sandboxes] }
institution = { values = $institutions }
person = { values = $persons }

[parameters]
"header.X-Yibao-Sandbox" = { dictionary = "sandbox", probability = 0.8 }
"path.code" = { dictionary = "institution", probability = 0.7 }
"institution" = { dictionary = "institution", probability = 0.7 }
"path.psnNo" = { dictionary = "person", probability = 0.7 }
EOF

filters=()
if [ "$console" = "1" ]; then
    read -r console_cookie console_form < <(gateway console) || true
    if [ -z "${console_form:-}" ]; then
        echo "error: could not sign in to the console (POST /console/login, form token on /console/trace)" >&2
        exit 1
    fi
    cat >>"$config" <<EOF
"body.form" = { dictionary = "consoleForm", probability = 0.9 }

[dictionaries.consoleForm]
values = ["$console_form"]

[auth.openapi.consoleSession]
api_key = "$console_cookie"
EOF
else
    filters=(--exclude-path-regex '^/console')
fi

reports=()
if [ -n "${SCHEMATHESIS_REPORT_DIR:-}" ]; then
    mkdir -p "$SCHEMATHESIS_REPORT_DIR"
    reports=(--report junit,har --report-dir "$(cd "$SCHEMATHESIS_REPORT_DIR" && pwd)")
fi

# shellcheck disable=SC2206
extra=(${SCHEMATHESIS_ARGS:-})
command=(python3 -m schemathesis.cli --config-file "$config" run "$schema" --url "$base"
         --checks "$checks" --seed "$seed" --max-examples "$max_examples" --workers 1
         --request-timeout 10 --no-color "${filters[@]}" "${reports[@]}" "${extra[@]}")

echo "==> $(python3 -m schemathesis.cli --version 2>&1 | tail -n 1)"
echo "==> config $config:"
sed 's/^/    /' "$config"
echo "==> (cd $work && ${command[*]})"
started=$SECONDS
status=0
(cd "$work" && "${command[@]}") || status=$?
echo "==> schemathesis exited $status after $((SECONDS - started)) s"
# What the gateway logged after its start-up banner (it runs with --log-level warning).
if [ "$status" -ne 0 ] && sed '1,/^try:/d' "$work/server.log" | grep -q .; then
    echo "==> the gateway's log after start-up:"
    sed '1,/^try:/d' "$work/server.log" | tail -n 100
fi
exit "$status"
