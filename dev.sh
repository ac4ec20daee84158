#!/usr/bin/env bash
# One entry point for developers and CI. Each command does its own set-up:
#   ./dev.sh demo    create .venv, install prisme-drift and its lab, run 'prisme-drift demo' on it
#   ./dev.sh test    create .venv, install with test extras, start a throw-away PostgreSQL 15,
#                    run the whole test suite on PRISME_TEST_WORKERS processes (0: serial)
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

system_packages() {
    command -v dpkg >/dev/null 2>&1 || {
        echo "dev.sh: not a Debian system: install Pango and the DejaVu fonts yourself" >&2
        return 0
    }
    local missing=() pkg
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "dev.sh: missing system packages for PDF reports: ${missing[*]}" >&2
        echo "dev.sh: run: sudo apt-get install -y ${missing[*]}   (then run dev.sh again)" >&2
        exit 2
    fi
    echo "dev.sh: installing system packages: ${missing[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

setup() {
    system_packages
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
        setup
        if [[ -z "${PRISME_TEST_PG_URL:-}" ]]; then
            PRISME_TEST_PG_URL="$(bash .ci/pg-start)"
            export PRISME_TEST_PG_URL
        fi
        # the suite starts real prisme-drift processes (daemon, signals, exit codes): with
        # PYTHONDONTWRITEBYTECODE set, each would compile the whole package again
        unset PYTHONDONTWRITEBYTECODE
        # on PRISME_TEST_WORKERS processes (pytest-xdist, default 4: the suite mostly waits on
        # SSH and subprocesses, so 4 beat 2 on 2 cores); tests sharing a costly fixture run on
        # one worker (tests/conftest.py). Serial: PRISME_TEST_WORKERS=0 or -p no:xdist.
        workers=(-n "${PRISME_TEST_WORKERS:-4}" --dist loadgroup)
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
