#!/usr/bin/env bash
# Installs the peers that bench/peers.ts compares Trainyard with, each into its own git-ignored venv
# (their dependency trees conflict: pydantic, SQLAlchemy, FastAPI pins), from PyPI only:
#   bench/peers/.venv/prefect  — prefect==$PREFECT_VERSION
#   bench/peers/.venv/airflow  — apache-airflow[postgres]==$AIRFLOW_VERSION
# Not part of `npm install`. Usage: bench/peers/install.sh [prefect|airflow]…  (default: both)
# Env: PYTHON (an interpreter; default python3.12, else python3), PREFECT_VERSION, AIRFLOW_VERSION.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PREFECT_VERSION="${PREFECT_VERSION:-3.9.1}"
AIRFLOW_VERSION="${AIRFLOW_VERSION:-3.3.2}"
# Build the venv on the interpreter itself, not a version manager's shim (which re-resolves on every start).
py=""
for cand in ${PYTHON:-} python3.12 python3; do
  if py="$("$cand" -c 'import sys; print(sys.executable)' 2>/dev/null)"; then break; fi
  py=""
done
[ -n "$py" ] || { echo "no usable python3 (set PYTHON)" >&2; exit 1; }

install() { # name, pip args…
  local name="$1"; shift
  local venv="$here/.venv/$name"
  echo "── $name: $venv ($("$py" --version))"
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install "$@"
  echo "── $name installed: $("$venv/bin/python" -m pip show "${1%%[=[]*}" | sed -n 's/^Version: //p')"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(prefect airflow)
for t in "${targets[@]}"; do
  case "$t" in
    prefect) install prefect "prefect==$PREFECT_VERSION" ;;
    # Airflow's constraint files live on GitHub, which this script may not reach; pip's resolver on PyPI
    # alone is what a user without them gets. The postgres extra brings psycopg2 for the metadata DB.
    airflow) install airflow "apache-airflow[postgres]==$AIRFLOW_VERSION" ;;
    *) echo "unknown peer $t (prefect|airflow)" >&2; exit 2 ;;
  esac
done
