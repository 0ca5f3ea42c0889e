#!/usr/bin/env bash
# Install the three toolchains the real-program tests (tests/real_programs.rs)
# build and run against, at pinned versions. Idempotent: a second run checks
# what is there and does nothing else. Run as root (it may apt-get install).
#
#   glibc i386 static  Debian 12's native amd64 multilib packages
#                      (libc6-dev-i386 and friends carry the i386 libraries),
#                      installed with apt at exact versions.
#   musl i386          Debian 12's i386 musl + musl-dev .deb files, fetched
#                      from the Debian mirror apt is configured with, checked
#                      against the SHA256 recorded below, and unpacked with
#                      dpkg-deb -x under target/real-toolchains/ (no dpkg
#                      database change, no i386 architecture added: on this
#                      machine `dpkg --add-architecture i386` makes
#                      apt-get update fail). tests/real/musl-gcc-i386 builds
#                      against it.
#   busybox-static     Debian 12's i386 busybox-static .deb (glibc-based,
#                      static), fetched and unpacked the same way; the binary
#                      is target/real-toolchains/busybox-i386/bin/busybox.
#
# The SHA256 sums were taken from bookworm's main/binary-i386/Packages.xz,
# whose own hash was checked against the InRelease file signed by the
# "Debian Stable Release Key (12/bookworm)" (gpgv with
# /usr/share/keyrings/debian-archive-keyring.gpg).
#
# Environment:
#   TOYEMU_REAL_TOOLCHAINS  where to unpack (default: <repo>/target/real-toolchains)
#   DEBIAN_MIRROR           Debian mirror base URL (default: the one apt uses for bookworm main)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DEST="${TOYEMU_REAL_TOOLCHAINS:-$ROOT/target/real-toolchains}"

# --- pins -------------------------------------------------------------------

# The glibc multilib set. libc6-i386 must be the same version as the host's
# libc6 (dpkg enforces it) and gcc-12-multilib the same as its gcc-12, so
# the pins are the host's own versions (Debian 12: glibc 2.36, gcc 12.2;
# the survey ran with 2.36-9+deb12u14 and 12.2.0-14+deb12u1).
installed_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
GLIBC_VERSION="${GLIBC_VERSION:-$(installed_version libc6)}"
GCC_VERSION="${GCC_VERSION:-$(installed_version gcc-12)}"
GCC_DEFAULT_VERSION="${GCC_DEFAULT_VERSION:-$(installed_version gcc)}"
[ -n "$GLIBC_VERSION" ] && [ -n "$GCC_VERSION" ] && [ -n "$GCC_DEFAULT_VERSION" ] ||
    { echo "setup.sh: ERROR: expected Debian 12's libc6, gcc-12 and gcc packages (dpkg-query found libc6 '$GLIBC_VERSION', gcc-12 '$GCC_VERSION', gcc '$GCC_DEFAULT_VERSION')" >&2; exit 1; }
APT_PINS=(
    "libc6-i386=$GLIBC_VERSION"
    "libc6-dev-i386=$GLIBC_VERSION"
    "lib32gcc-s1=$GCC_VERSION"
    "lib32gcc-12-dev=$GCC_VERSION"
    "gcc-12-multilib=$GCC_VERSION"
    "gcc-multilib=$GCC_DEFAULT_VERSION"
)

# name  version  pool path (relative to the mirror)  sha256
DEBS=(
    "musl 1.2.3-1 pool/main/m/musl/musl_1.2.3-1_i386.deb 021a840247f26db961dcdbc7c1b249baa1e3434bed99bea7dce44a5ac834b93f"
    "musl-dev 1.2.3-1 pool/main/m/musl/musl-dev_1.2.3-1_i386.deb e7e49904a302b4c986cc7729b1af9117f7a01a928b12c43e75bdd015697bff82"
    "busybox-static 1:1.35.0-4+deb12u1+b1 pool/main/b/busybox/busybox-static_1.35.0-4+deb12u1+b1_i386.deb 725ef9e6fbac4ab79b353165b05005e8c140d6e42177ebbc202ff1e13ded8b7c"
)

say() { echo "setup.sh: $*"; }
die() { echo "setup.sh: ERROR: $*" >&2; exit 1; }

# --- glibc i386 (apt) -------------------------------------------------------

glibc_ok() {
    local pin name want
    for pin in "${APT_PINS[@]}"; do
        name="${pin%%=*}" want="${pin#*=}"
        [ "$(installed_version "$name")" = "$want" ] || return 1
    done
}

if glibc_ok; then
    say "glibc i386: multilib packages at the host's versions already installed (libc6-dev-i386 $GLIBC_VERSION)"
else
    [ "$(id -u)" = 0 ] || die "installing ${APT_PINS[*]} needs root (run: sudo bash tests/real/setup.sh)"
    say "glibc i386: apt-get update; apt-get install ${APT_PINS[*]}"
    apt-get update -qq || say "warning: apt-get update failed; trying the install with the lists already here"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${APT_PINS[@]}"; then
        echo "setup.sh: apt offers these versions now:" >&2
        apt-cache policy libc6-dev-i386 gcc-12-multilib gcc-multilib >&2 || true
        die "cannot install the glibc multilib packages at the host's versions (libc6 $GLIBC_VERSION, gcc-12 $GCC_VERSION): is apt's package list older than the installed libc6? (apt-get update)"
    fi
fi

# --- the .deb downloads -----------------------------------------------------

mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then
        echo "${DEBIAN_MIRROR%/}"
        return
    fi
    # The repository apt itself uses for bookworm main.
    local uri
    uri="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' 2>/dev/null |
        awk '$2 == "bookworm" && $3 == "main" { print $1; exit }')"
    [ -n "$uri" ] || die "no bookworm main repository in apt's sources; set DEBIAN_MIRROR to a Debian mirror URL"
    echo "${uri%/}"
}

# fetch NAME VERSION POOLPATH SHA256: leaves a verified copy in $DEST/debs/.
fetch() {
    local name="$1" version="$2" pool="$3" sum="$4"
    local file="$DEST/debs/$(basename "$pool")"
    if [ -f "$file" ] && echo "$sum  $file" | sha256sum -c --status; then
        say "$name $version: $(basename "$pool") already downloaded, sha256 ok"
        return
    fi
    mkdir -p "$DEST/debs"
    local url
    url="$(mirror)/$pool"
    say "$name $version: downloading $url"
    rm -f "$file.part"
    # apt's own downloader: same proxy settings as apt, and it checks the hash.
    if ! /usr/lib/apt/apt-helper -o APT::Sandbox::User=root download-file "$url" "$file.part" "SHA256:$sum" >/dev/null; then
        rm -f "$file.part"
        die "could not download $url with the expected SHA256 $sum (set DEBIAN_MIRROR to another Debian mirror, or an archive snapshot holding $name $version)"
    fi
    echo "$sum  $file.part" | sha256sum -c --status || die "$file: SHA256 is not $sum"
    mv "$file.part" "$file"
    say "$name $version: sha256 $sum ok"
}

# unpack NAME POOLPATH DIR: dpkg-deb -x into $DEST/DIR (once per .deb).
unpack() {
    local name="$1" pool="$2" dir="$DEST/$3"
    local deb
    deb="$(basename "$pool")"
    if [ -f "$dir/.unpacked-$deb" ]; then
        say "$name: already unpacked in $dir"
        return
    fi
    mkdir -p "$dir"
    say "$name: dpkg-deb -x $deb $dir"
    dpkg-deb -x "$DEST/debs/$deb" "$dir"
    touch "$dir/.unpacked-$deb"
}

for entry in "${DEBS[@]}"; do
    # shellcheck disable=SC2086
    set -- $entry
    fetch "$1" "$2" "$3" "$4"
    case "$1" in
        musl | musl-dev) unpack "$1" "$3" musl-i386 ;;
        busybox-static) unpack "$1" "$3" busybox-i386 ;;
    esac
done

# --- probes -----------------------------------------------------------------

probe_dir="$(mktemp -d)"
trap 'rm -rf "$probe_dir"' EXIT
cat >"$probe_dir/probe.c" <<'EOF'
#include <stdio.h>
int main(void) { printf("probe %d\n", 42); return 0; }
EOF

say "probe: gcc -m32 -static (glibc)"
gcc -m32 -static -o "$probe_dir/glibc" "$probe_dir/probe.c" || die "gcc -m32 -static cannot link against glibc"
say "probe: tests/real/musl-gcc-i386 (musl)"
TOYEMU_REAL_TOOLCHAINS="$DEST" "$ROOT/tests/real/musl-gcc-i386" -o "$probe_dir/musl" "$probe_dir/probe.c" ||
    die "tests/real/musl-gcc-i386 cannot link against musl"
bb="$DEST/busybox-i386/bin/busybox"
[ -x "$bb" ] || die "$bb is missing after unpacking busybox-static"

# toyemu's loader takes ELF32 EM_386 ET_EXEC without PT_INTERP.
static_i386() {
    local h
    h="$(readelf -h "$1")" || return 1
    grep -q 'Class:[[:space:]]*ELF32' <<<"$h" && grep -q 'Machine:[[:space:]]*Intel 80386' <<<"$h" &&
        grep -q 'Type:[[:space:]]*EXEC' <<<"$h" && ! readelf -l "$1" | grep -q INTERP
}
for exe in "$probe_dir/glibc" "$probe_dir/musl"; do
    static_i386 "$exe" || die "$exe is not a static non-PIE i386 executable: $(readelf -h "$exe" | grep -E 'Class|Type|Machine')"
    out="$(setarch i686 -R "$exe" 2>&1)" || die "$exe does not run natively: $out"
    [ "$out" = "probe 42" ] || die "$exe printed '$out'"
done
out="$(setarch i686 -R "$bb" echo busybox ok 2>&1)" || die "$bb does not run natively: $out"
[ "$out" = "busybox ok" ] || die "$bb echo printed '$out'"

say "ready:"
say "  glibc   gcc -m32 -static        libc6-dev-i386 $GLIBC_VERSION, gcc $GCC_VERSION"
say "  musl    tests/real/musl-gcc-i386  musl-dev 1.2.3-1 in $DEST/musl-i386"
say "  busybox $bb  busybox-static 1:1.35.0-4+deb12u1+b1"
