#!/usr/bin/env bash
# Replays the committed crash regressions, then fuzzes each target for SECONDS (default 60).
#   Tests/fuzz/run.sh [SECONDS] [TARGET...]      TARGET: dlrt, onnx (default both)
# The committed corpus (Tests/fuzz/corpus/<t>) is copied to .build-fuzz/corpus/<t>, which grows;
# the repository's copy changes only through `make fuzz-corpus`. Crash, leak, timeout and OOM
# inputs go to .build-fuzz/artifacts/<t>/. Exit status 1 if any target failed.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="${FUZZ_BUILD:-$ROOT/.build-fuzz}"
SECONDS_EACH="${1:-60}"; shift || true
TARGETS=("$@"); [ ${#TARGETS[@]} -gt 0 ] || TARGETS=(dlrt onnx)
export SWIFT_BACKTRACE=enable=no   # let libFuzzer/ASan report traps, not Swift's backtracer
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
OPTS=(-timeout=10 -rss_limit_mb=2048 -max_len=131072)
failed=0
for t in "${TARGETS[@]}"; do
    exe="$B/fuzz_$t"
    art="$B/artifacts/$t/"; corpus="$B/corpus/$t"; log="$B/fuzz_$t.log"
    mkdir -p "$art" "$corpus"
    cp -n "$ROOT/Tests/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
    regs=("$ROOT/Tests/fuzz/regressions/$t/"*)
    if [ -e "${regs[0]}" ]; then
        if "$exe" "${OPTS[@]}" "${regs[@]}" > "$B/regressions_$t.log" 2>&1; then
            echo "fuzz_$t: ${#regs[@]} regression inputs replayed, 0 crashes"
        else
            echo "fuzz_$t: a regression input crashes again:"; grep -E "ERROR|Running:|Fatal" "$B/regressions_$t.log" | tail -n 5
            failed=1
        fi
    fi
    [ "$SECONDS_EACH" -gt 0 ] || continue
    # Fork mode (one job at a time) keeps fuzzing past slow units and OOMs, counting them;
    # crashes (traps, ASan reports, leaks) stop the run and fail it. FUZZ_STRICT=1 fails on
    # timeouts and OOMs too.
    "$exe" "${OPTS[@]}" -fork=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$SECONDS_EACH" \
        -artifact_prefix="$art" "$corpus" > "$log" 2>&1
    rc=$?
    last=$(grep -E '^#[0-9]+: ' "$log" | tail -n 1)
    execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<< "$last")
    counts=$(sed -E 's/.*oom\/timeout\/crash: ([0-9]+\/[0-9]+\/[0-9]+).*/\1/' <<< "$last")
    IFS=/ read -r ooms timeouts crashes <<< "${counts:-0/0/0}"
    units=$(ls "$corpus" | wc -l)
    if [ "${FUZZ_STRICT:-0}" = 1 ] && [ $((ooms + timeouts)) -gt 0 ]; then rc=1; fi
    if [ $rc -eq 0 ]; then
        echo "fuzz_$t: ${SECONDS_EACH}s, ${execs:-?} executions, corpus $units units, 0 crashes, $timeouts timeouts, $ooms OOMs"
        [ $((ooms + timeouts)) -eq 0 ] || echo "  (slow/OOM inputs in $art — see docs/ROBUSTNESS.md, known issues)"
    else
        echo "fuzz_$t: FAILED after ${execs:-?} executions (exit $rc); artifacts in $art, log $log"
        grep -E "ERROR: |SUMMARY|Fatal error|Test unit written" "$log" | head -n 8
        failed=1
    fi
done
exit $failed
