#!/usr/bin/env bash
# Builds the cargo-fuzz targets (tests/fuzz/fuzz_targets) and runs each for a bounded time,
# starting from its checked-in corpus (tests/fuzz/corpus/TARGET, read only: what the run finds
# goes to a scratch directory). Fails on any crash, panic, timeout (a hang) or out-of-memory;
# the input that did it is kept in tests/fuzz/artifacts/TARGET/.
#
#   bash tests/fuzz/run.sh [TARGET...]        # every target when none is named
#
# FUZZ_SECONDS: seconds per target (default 15; 0 skips fuzzing: nothing is built).
# FUZZ_SEED: libFuzzer's seed (default 1, so a CI run repeats the inputs a run here tried and
#   passed; 0 asks libFuzzer for a random one, for longer runs that explore further).
# (Not SIMAK_*: the service reads every SIMAK_* variable as a configuration override and
# refuses unknown ones, and the tests run in the same environment.)
# FUZZ_TARGET_DIR: the build directory (default /var/tmp/simak-fuzz-target; kept apart
#   from the test build because fuzz builds use other compiler flags).
#
# Runs on the stable toolchain: libFuzzer through cargo-fuzz with `--sanitizer none` (safe
# Rust needs no AddressSanitizer; coverage instrumentation and the fuzzing cfg are stable
# codegen options). cargo-fuzz is installed at the exact version below if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECS=${FUZZ_SECONDS:-15}
SEED=${FUZZ_SEED:-1}
if [ "$SECS" = 0 ]; then
  echo "fuzzing skipped (FUZZ_SECONDS=0)"
  exit 0
fi
CARGO_FUZZ_VERSION=0.13.2
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION (crates.io)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-/var/tmp/simak-fuzz-target}
FUZZ=(--fuzz-dir tests/fuzz --sanitizer none)

start=$(date +%s)
cargo fuzz build "${FUZZ[@]}"
echo "fuzz build: $(($(date +%s) - start)) s"

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list --fuzz-dir tests/fuzz)
fi

dict_of() {
  case "$1" in
    rss_feed | factcheck_feed) echo tests/fuzz/dict/xml.dict ;;
    telegram) echo tests/fuzz/dict/html.dict ;;
    search_query) echo tests/fuzz/dict/query.dict ;;
    config_toml | profile_toml) echo tests/fuzz/dict/toml.dict ;;
    *) echo tests/fuzz/dict/json.dict ;;
  esac
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
passed=0
failed=()
printf '%-16s %12s %10s %8s %s\n' target execs exec/s corpus result
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t" "tests/fuzz/corpus/$t"
  log="$scratch/$t.log"
  if cargo fuzz run "${FUZZ[@]}" "$t" "$scratch/$t" "tests/fuzz/corpus/$t" -- \
    -max_total_time="$SECS" -seed="$SEED" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -dict="$(dict_of "$t")" -print_final_stats=1 >"$log" 2>&1; then
    result=ok
    passed=$((passed + 1))
  else
    result=FAILED
    failed+=("$t")
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  corpus=$(find "$scratch/$t" "tests/fuzz/corpus/$t" -type f | wc -l)
  printf '%-16s %12s %10s %8s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$corpus" "$result"
  if [ "$result" = FAILED ]; then
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written|^thread' "$log" | head -n 20 || true
    tail -n 40 "$log"
  fi
done
echo "fuzz: ${#targets[@]} targets, ${SECS} s each, $(($(date +%s) - start)) s in all"
echo "fuzz: $passed passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]} (inputs in tests/fuzz/artifacts/)" >&2
  exit 1
fi
