#!/usr/bin/env bash
# One entry point for developers and CI. Each command does its own set-up:
#   ./dev.sh demo    create .venv, install prisme-drift, run 'prisme-drift demo' on the built-in lab
#   ./dev.sh test    create .venv, install with test extras, start a throw-away PostgreSQL 15,
#                    run the whole test suite (pytest's "no tests collected" counts as a failure)
#   ./dev.sh lint    ruff and mypy --strict
# Extra arguments go to the command (./dev.sh test -k vlan, ./dev.sh demo --lang en).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV="${PRISME_VENV:-.venv}"

setup() {
    if [[ ! -x "$VENV/bin/python" ]]; then
        "$PYTHON" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]" >&2
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
        set +e
        "$VENV/bin/python" -m pytest "$@"
        rc=$?
        set -e
        if [[ $rc -eq 5 ]]; then
            echo "dev.sh: pytest collected no tests: this is a failure" >&2
            exit 1
        fi
        exit $rc
        ;;
    lint)
        setup
        "$VENV/bin/ruff" check .
        "$VENV/bin/mypy"
        ;;
    *)
        sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
