#!/usr/bin/env bash
# One entry point for developers and CI. Each command does its own set-up:
#   ./dev.sh demo    create .venv, install prisme-drift and its lab, run 'prisme-drift demo' on it
#   ./dev.sh test    create .venv, install with test extras, Debian's Chromium and nginx (web
#                    tests), start a throw-away PostgreSQL 15, run the whole test suite on
#                    PRISME_TEST_WORKERS processes (default 6; 0: serial)
#                    (pytest's "no tests collected" counts as a failure)
#   ./dev.sh lint    ruff, mypy --strict and lint-imports (the layering contract in pyproject.toml)
#   ./dev.sh docs    build the documentation site (mkdocs-material) into site/, --strict
# Extra arguments go to the command (./dev.sh test -k vlan, ./dev.sh demo --lang en).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV="${PRISME_VENV:-.venv}"

# Debian packages the reports need: Pango (WeasyPrint's text layout), HarfBuzz subsetting (fast
# font embedding) and the fonts embedded in every PDF. Installed when missing and when root;
# otherwise one message says what to run.
SYSTEM_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
# The browser tests (tests/web/test_browser.py): Playwright drives Debian's Chromium
# (/usr/bin/chromium), never a browser downloaded by `playwright install`. Only `test` needs it
# (chromium + chromium-common: 356 MB installed; 82 s here, apt-get update included).
# nginx: tests/web/test_nginx.py runs docs/web.md's server block in front of the web page (1.3 MB).
TEST_PACKAGES=(chromium nginx)

# system_packages WHAT PACKAGE...: install the missing ones when root; otherwise say what to run.
system_packages() {
    local what="$1" missing=() pkg
    shift
    command -v dpkg >/dev/null 2>&1 || {
        echo "dev.sh: not a Debian system: install $what yourself ($*)" >&2
        return 0
    }
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "dev.sh: missing system packages for $what: ${missing[*]}" >&2
        echo "dev.sh: run: sudo apt-get install -y ${missing[*]}   (then run dev.sh again)" >&2
        exit 2
    fi
    echo "dev.sh: installing system packages for $what: ${missing[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    if [[ " ${missing[*]} " == *" nginx "* ]]; then
        quiet_nginx
    fi
}

# nginx is a test tool here, not a service: the web server Debian starts with the package (on
# a machine run by systemd) is stopped and disabled again. An nginx installed before is untouched.
quiet_nginx() {
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
        systemctl disable --now nginx.service >/dev/null 2>&1 || true
        echo "dev.sh: nginx installed for the tests; its service is stopped and disabled" >&2
    fi
}

setup() {
    system_packages "PDF reports (Pango and the DejaVu fonts)" "${SYSTEM_PACKAGES[@]}"
    if [[ ! -x "$VENV/bin/python" ]]; then
        "$PYTHON" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    # ./lab: prisme-drift-lab, the simulated devices the demo and the tests talk to, a
    # distribution of its own so that a production install (pip install .) carries none
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]" -e ./lab >&2
}

cmd="${1:-}"
shift || true
case "$cmd" in
    demo)
        setup
        exec "$VENV/bin/prisme-drift" demo "$@"
        ;;
    test)
        system_packages "the web tests (Chromium, nginx)" "${TEST_PACKAGES[@]}"
        setup
        if [[ -z "${PRISME_TEST_PG_URL:-}" ]]; then
            PRISME_TEST_PG_URL="$(bash .ci/pg-start)"
            export PRISME_TEST_PG_URL
        fi
        # the suite starts real prisme-drift processes (daemon, signals, exit codes): with
        # PYTHONDONTWRITEBYTECODE set, each would compile the whole package again
        unset PYTHONDONTWRITEBYTECODE
        # compiled once here (2 processes, under a second) rather than by each worker and each
        # prisme-drift process started before the first one has written its .pyc files
        "$VENV/bin/python" -m compileall -q -j 2 prisme_drift lab/prisme_drift_lab || true
        # on PRISME_TEST_WORKERS processes (pytest-xdist, default 6: the suite waits on SSH,
        # daemons and subprocesses as much as it computes, so on 2 cores 6 workers (4 min 40 s)
        # beat 4 (5 min 20 s) and 2; README "Tests"); tests sharing a costly fixture run on
        # one worker (tests/conftest.py). Serial: PRISME_TEST_WORKERS=0 or -p no:xdist.
        workers=(-n "${PRISME_TEST_WORKERS:-6}" --dist loadgroup)
        for arg in "$@"; do
            [[ "$arg" == "no:xdist" || "$arg" == "-pno:xdist" ]] && workers=()
        done
        set +e
        "$VENV/bin/python" -m pytest "${workers[@]}" "$@"
        rc=$?
        set -e
        if [[ $rc -eq 5 ]]; then
            echo "dev.sh: pytest collected no tests: this is a failure" >&2
            exit 1
        fi
        exit $rc
        ;;
    docs)
        setup
        # the documentation site, from docs/ (mkdocs.yml): into site/, a broken link fails
        NO_MKDOCS_2_WARNING=1 exec "$VENV/bin/mkdocs" build --strict "$@"
        ;;
    lint)
        setup
        "$VENV/bin/ruff" check .
        "$VENV/bin/mypy"
        "$VENV/bin/lint-imports" --no-cache
        ;;
    *)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
