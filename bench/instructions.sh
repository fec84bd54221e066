#!/usr/bin/env bash
# Instructions per request of one in-process figure, robust to a busy machine:
#   bench/instructions.sh get_session [DATABASE_URL]
# runs `python -m bench.inprocess --only FIGURE` under callgrind with LOW and HIGH requests
# and prints (Ir(HIGH) - Ir(LOW)) / (HIGH - LOW), which leaves out start-up and seeding.
# The database must be seeded already (run `python -m bench.inprocess` once).
set -euo pipefail
figure="${1:?figure: get_session, first_page, last_page or get_session_xml}"
database="${2:-sqlite:////tmp/onstream-inprocess.db}"
low="${LOW:-50}" high="${HIGH:-250}"
python="${PYTHON:-.venv/bin/python}"
export PYTHONHASHSEED=0  # the same dict layouts in both runs
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
count() {
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1" \
    "$python" -m bench.inprocess --database "$database" --only "$figure" --count "$1" \
    >"$out/log.$1" 2>&1
  awk '/^summary:|^totals:/ {print $2; exit}' "$out/cg.$1"
}
a="$(count "$low")"
b="$(count "$high")"
echo "$figure: $(( (b - a) / (high - low) )) instructions per request"
