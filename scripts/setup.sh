# Shared by scripts/demo.sh and scripts/test.sh: install what is missing on a
# Debian machine, and run a command in a private network namespace.

# Debian packages the demo and the test suite need.
PACKAGES="build-essential pkg-config iproute2 libpcap-dev tcpdump netsniff-ng bc"

setup_deps() {
    missing=""
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        if [ "$(id -u)" = 0 ]; then
            echo "setup: installing$missing" >&2
            DEBIAN_FRONTEND=noninteractive apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
        else
            echo "setup: missing packages:$missing (run as root to install them)" >&2
            exit 1
        fi
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        [ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        echo "setup: installing the Rust toolchain with rustup" >&2
        command -v curl >/dev/null 2>&1 || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
        curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >&2
        PATH="$HOME/.cargo/bin:$PATH"
    fi
    export PATH
}

# cargo-fuzz, for the test suite's short fuzz runs (scripts/fuzz.sh picks
# nightly if rustup has it, else stable with RUSTC_BOOTSTRAP).
setup_fuzz() {
    if ! cargo fuzz --version >/dev/null 2>&1; then
        echo "setup: installing cargo-fuzz" >&2
        cargo install -q cargo-fuzz --locked >&2 || echo "setup: cargo-fuzz could not be installed" >&2
    fi
}

# Run a program with a fresh veth pair A <-> B (both up, IPv6 chatter off)
# in a private network namespace:  run_on_veth A B program args...
run_on_veth() {
    run_in_netns sh -c '
set -e
ip link add "$1" type veth peer name "$2"
for d in "$1" "$2"; do
    echo 1 > /proc/sys/net/ipv6/conf/$d/disable_ipv6 2>/dev/null || true
    ip link set "$d" up
done
shift 2
exec "$@"
' run_on_veth "$@"
}

# Run a command in a new network namespace: as root directly, otherwise in a
# new user namespace where we are root (unshare -Urn).
run_in_netns() {
    if [ "$(id -u)" = 0 ]; then
        unshare -n "$@"
    else
        unshare -Urn "$@"
    fi
}
