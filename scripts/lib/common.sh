#!/usr/bin/env bash
# Shared helpers for Payrail's scripts: install what is missing, build, locate binaries.
# Sourced, not run. Every function is idempotent and safe on a fresh machine.

PAYRAIL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PAYRAIL_TOOLS="$PAYRAIL_ROOT/.build-tools"
PAYRAIL_VENV="$PAYRAIL_TOOLS/venv"
export PATH="/opt/swift/usr/bin:$PATH"

log() { printf '[payrail] %s\n' "$*" >&2; }

# Debian packages the build and tests need (the C headers GRDB links against, and tools the scripts call).
ensure_debian_packages() {
    local wanted=(libsqlite3-dev sqlite3 curl docker-compose) missing=()
    for package in "${wanted[@]}"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing Debian packages: ${missing[*]}"
        if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# The Python tools the tests drive (merchant-side webhook verification, pytest) in a virtualenv.
ensure_python_tools() {
    local stamp="$PAYRAIL_VENV/.installed-v2"
    if [ ! -f "$stamp" ]; then
        log "creating the Python test tools virtualenv in .build-tools/venv"
        python3 -m venv "$PAYRAIL_VENV"
        "$PAYRAIL_VENV/bin/pip" install -q --disable-pip-version-check \
            "standardwebhooks==1.1.0" "pytest>=8,<10" "schemathesis==4.32.5"
        touch "$stamp"
    fi
}

# Debug build of every target and test (tests use the debug build).
build_debug() {
    log "building (debug)"
    (cd "$PAYRAIL_ROOT" && swift build --build-tests)
}

# The folder holding the debug binaries.
debug_bin_dir() {
    (cd "$PAYRAIL_ROOT" && swift build --show-bin-path)
}
