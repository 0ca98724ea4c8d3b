#!/usr/bin/env bash
# Build Payrail and run every test: Swift unit and integration tests, then the end-to-end scripts that drive the
# real executables. Installs what is missing first. Exit status is non-zero if anything fails.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$PAYRAIL_ROOT"

ensure_debian_packages
ensure_python_tools
build_debug

log "running Swift tests (full log: .build-tools/swift-test.log)"
set +e
swift test --skip-build > .build-tools/swift-test.log 2>&1
swift_status=$?
set -e
# Show what failed, if anything, and the runners' closing lines.
grep -E '✘|error:|Fatal error|recorded an issue' .build-tools/swift-test.log | head -100 || true
grep -E '^(Test Suite .All tests. (passed|failed)|Executed [0-9]+ tests?)|Test run with [0-9]+ tests?' \
    .build-tools/swift-test.log | tail -3 || true
if [ "$swift_status" -ne 0 ]; then
    log "Swift tests failed (exit $swift_status)"
    exit "$swift_status"
fi

log "running end-to-end tests (real processes)"
PAYRAIL_BIN="$(debug_bin_dir)" "$PAYRAIL_VENV/bin/python" -m pytest -q scripts/e2e
