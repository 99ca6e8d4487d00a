#!/usr/bin/env bash
# Runs every fuzz target for a set time and fails if any crashes (panic, hang, memory blow-up).
#   fuzz/run.sh [seconds per target, default 60] [target ...]
# Needs cargo-fuzz (`cargo install cargo-fuzz`). cargo-fuzz wants nightly compiler flags; on the
# stable toolchain RUSTC_BOOTSTRAP=1 unlocks them. The targets are built once (address
# sanitizer, debug assertions and overflow checks on), then each binary runs for the set time,
# so edits made meanwhile do not trigger rebuilds. Seeds live in fuzz/seeds/<target>; what the
# fuzzer finds goes to fuzz/corpus/<target> (kept between runs), crashes to
# fuzz/artifacts/<target>/ with the log in fuzz/artifacts/<target>.log (replay one with
# `RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <file>`). Not part of ./test.sh or CI (time budget).
set -uo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
all=(member_sheet org_sheet household_sheet xlsx_limits id_card request_rules dispute_rules)
targets=("${@:-${all[@]}}")
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
  exit 2
fi
cargo fuzz build || exit 2
host=$(rustc -vV | sed -n 's/^host: //p')
bin="fuzz/target/$host/release"
export ASAN_OPTIONS="detect_odr_violation=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
mkdir -p fuzz/artifacts
failed=0
summary=""
for t in "${targets[@]}"; do
  case "$t" in
    member_sheet|org_sheet|household_sheet|xlsx_limits) max_len=65536 ;;
    *) max_len=4096 ;;
  esac
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log="fuzz/artifacts/$t.log"
  echo "== $t: ${secs}s"
  # -malloc_limit_mb: any single allocation over 512 MB (a spreadsheet inflating into memory)
  # is a crash here; -rss_limit_mb the same for the whole process.
  "$bin/$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -artifact_prefix="fuzz/artifacts/$t/" \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
    -max_len="$max_len" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  corpus=$(ls "fuzz/corpus/$t" | wc -l)
  contained=$(grep -c '^contained' "$log")
  if [ "$rc" -eq 0 ]; then
    status="ok"
  else
    status="CRASH (exit $rc, see $log and fuzz/artifacts/$t/)"
    failed=1
    grep -m1 -E "panicked|ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY" "$log" || true
  fi
  line=$(printf '%-16s %5ss %11s execs %7s/s  %-9s corpus %5s  %s' "$t" "$secs" "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "$corpus" "$status")
  [ "$contained" -gt 0 ] && line+="  (a dependency panicked in the reader thread, contained: see log)"
  echo "$line"
  summary+="$line"$'\n'
done
echo
echo "$summary"
exit "$failed"
