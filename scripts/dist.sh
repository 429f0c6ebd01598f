#!/usr/bin/env bash
# `make dist`: the release tarball, checked.
#   1. builds bin/hongbao in release mode with the Swift runtime linked in
#      (--static-swift-stdlib; libpq and libcurl stay the system's: Debian libpq5, libcurl4)
#      and the commit compiled in (`hongbao --version`). It builds HEAD as committed, from a
#      snapshot in .build-dist/src (git archive), so uncommitted edits in this tree never
#      reach a release nor break its build; HONGBAO_DIST_TREE=worktree builds the working
#      tree as it is instead (the commit then ends in -dirty when it differs from HEAD).
#      Scratch space: .build-dist/ (not the shared debug build's .build/);
#   2. packs dist/out/hongbao-<version>-<commit>-linux-<arch>.tar.gz with one top folder:
#      bin/hongbao (debug info stripped, symbols kept for backtraces), systemd/ (the units),
#      hongbao.env.example, merchants.d/ (the simulator examples), docs/, openapi.yaml,
#      INSTALL.md, VERSION and SHA256SUMS of its files; dist/out/SHA256SUMS covers the
#      tarballs. The packing adds nothing of its own that varies (names sorted, owner 0,
#      every file dated the commit): the same binary gives the same tarball;
#   3. runs scripts/dist-check.sh on it (unpacked in an empty folder: migrate, serve, one
#      send through the simulator, audit verify);
#   4. prints the figures (sizes, dynamic libraries, build time, the check) and writes them
#      to dist/out/<name>.figures.txt.
# The commit is `git rev-parse --short=12 HEAD`. The build compiles a fixed placeholder
# into CBuildInfo (-Xcc -DHONGBAO_COMMIT=…: a flag every module's compile sees, so a new
# value each commit would rebuild all of them, 20-40 min here), and the commit is written
# over it in the packed copy: after a commit, only the modules it changed build again.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"
SCRATCH=.build-dist
bash scripts/deps.sh
for tool in swift git tar gzip sha256sum strip readelf objdump ldd python3 curl jq; do
    command -v "$tool" >/dev/null || { echo "dist: $tool is missing (Debian: binutils for strip, readelf, objdump)" >&2; exit 1; }
done

# --- 1. Source and build ---------------------------------------------------------------------
if [ "${HONGBAO_DIST_TREE:-head}" = worktree ]; then
    SRC="$REPO"
    BUILD_DIR="$SCRATCH/build-worktree"
    COMMIT="$(git rev-parse --short=12 HEAD)$(git diff --quiet HEAD -- || echo -dirty)"
else
    SRC="$REPO/$SCRATCH/src"
    BUILD_DIR="$SCRATCH/build"
    COMMIT="$(git rev-parse --short=12 HEAD)"
    git diff --quiet HEAD -- || echo "dist: building HEAD ($COMMIT) as committed: this tree's uncommitted changes are not in it" >&2
    # HEAD's files into $SRC; files that did not change keep their dates (and their build
    # products), files HEAD no longer has go. Package.resolved (not committed) is kept.
    mkdir -p "$SRC" "$SCRATCH/tmp"
    snapshot="$(mktemp -d "$SCRATCH/tmp/snapshot.XXXXXX")"
    git archive --format=tar HEAD | tar -x -C "$snapshot"
    python3 - "$snapshot" "$SRC" <<'PY'
import filecmp, os, shutil, sys
new, dst = sys.argv[1], sys.argv[2]
keep = {"Package.resolved"}
for root, dirs, files in os.walk(dst, topdown=True):
    rel = os.path.relpath(root, dst)
    for name in files:
        path = os.path.normpath(os.path.join(rel, name))
        if path not in keep and not os.path.exists(os.path.join(new, path)):
            os.remove(os.path.join(root, name))
for root, dirs, files in os.walk(new):
    rel = os.path.relpath(root, new)
    os.makedirs(os.path.join(dst, rel), exist_ok=True)
    for name in files:
        src, out = os.path.join(root, name), os.path.join(dst, rel, name)
        if not (os.path.isfile(out) and filecmp.cmp(src, out, shallow=False)):
            shutil.copy2(src, out)
PY
    rm -rf "$snapshot"
fi
VERSION="$(sed -nE 's/^[[:space:]]*static let version = "([^"]+)".*/\1/p' "$SRC/Sources/hongbao/Hongbao.swift")"
[ -n "$VERSION" ] || { echo "dist: no 'static let version' in Sources/hongbao/Hongbao.swift" >&2; exit 1; }
case "$(uname -m)" in x86_64|amd64) ARCH=x86_64 ;; aarch64|arm64) ARCH=aarch64 ;; *) ARCH="$(uname -m)" ;; esac
NAME="hongbao-$VERSION-$COMMIT-linux-$ARCH"
OUT=dist/out
echo "dist: $NAME"

PLACEHOLDER="hongbao-commit-placeholder-written-by-scripts-dist.sh"
build=(swift build -c release --static-swift-stdlib --package-path "$SRC" --scratch-path "$BUILD_DIR" --product hongbao
       -Xcc "-DHONGBAO_COMMIT=\"$PLACEHOLDER\"")
echo "dist: ${build[*]}"
# The whole log goes to $SCRATCH/dist-build.log; the terminal gets errors and milestones.
build_started=$(date +%s)
mkdir -p "$SCRATCH"
set +e
"${build[@]}" 2>&1 | tee "$SCRATCH/dist-build.log" | { grep --line-buffered -E 'error:|Linking |Build complete|Compiling (hongbao|API) ' || true; }
build_rc=${PIPESTATUS[0]}
set -e
[ "$build_rc" -eq 0 ] || { grep -E 'error:' "$SCRATCH/dist-build.log" | head -20 >&2; echo "dist: the release build failed (whole log: $SCRATCH/dist-build.log)" >&2; exit 1; }
build_seconds=$(( $(date +%s) - build_started ))
BUILT="$("${build[@]:0:${#build[@]}-2}" --show-bin-path)/hongbao"
[ -x "$BUILT" ] || { echo "dist: no binary at $BUILT" >&2; exit 1; }

# --- 2. Package -------------------------------------------------------------------------------
STAGE="$SCRATCH/stage"
rm -rf "$STAGE"
PKG="$STAGE/$NAME"
mkdir -p "$PKG/bin" "$PKG/systemd" "$PKG/docs" "$PKG/merchants.d"
# Debug info out (most of the size), the symbol table kept: backtraces still name functions.
strip --strip-debug -o "$PKG/bin/hongbao" "$BUILT"
# The commit over the placeholder (NUL-padded to its length): it must be there exactly once.
python3 - "$PKG/bin/hongbao" "$PLACEHOLDER" "$COMMIT" <<'PY'
import sys
path, placeholder, commit = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
data, terminated = open(path, "rb").read(), placeholder + b"\0"
if data.count(terminated) != 1 or len(commit) >= len(placeholder):
    sys.exit(f"dist: the commit placeholder is in {path} {data.count(terminated)} times, not once")
open(path, "wb").write(data.replace(terminated, commit.ljust(len(terminated), b"\0")))
PY
[ "$("$PKG/bin/hongbao" --version)" = "$VERSION (commit $COMMIT)" ] \
    || { echo "dist: the binary says '$("$PKG/bin/hongbao" --version)', not '$VERSION (commit $COMMIT)'" >&2; exit 1; }
cp "$SRC/dist/hongbao.service" "$SRC/dist/hongbao@.service" "$PKG/systemd/"
cp "$SRC/dist/hongbao.env.example" "$SRC/dist/INSTALL.md" "$SRC/openapi.yaml" "$PKG/"
cp "$SRC"/merchants.d/*.toml "$PKG/merchants.d/"
cp "$SRC"/docs/*.md "$PKG/docs/"
"$PKG/bin/hongbao" --version >"$PKG/VERSION"
find "$PKG" -type d -exec chmod 0755 {} +
find "$PKG" -type f -exec chmod 0644 {} +
chmod 0755 "$PKG/bin/hongbao"
(cd "$PKG" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS && chmod 0644 SHA256SUMS)

mkdir -p "$OUT"
TARBALL="$OUT/$NAME.tar.gz"
# Same commit, same bytes: sorted names, owner 0, every file dated the commit.
mtime="@$(git log -1 --format=%ct HEAD)"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" --format=gnu -C "$STAGE" -cf - "$NAME" | gzip -9n >"$TARBALL.tmp"
mv "$TARBALL.tmp" "$TARBALL"
(cd "$OUT" && sha256sum -- *.tar.gz >SHA256SUMS)

# --- 3. Check ---------------------------------------------------------------------------------
check_started=$(date +%s)
check_rc=0
# The source folders of the targets bin/hongbao is built from (the check reads the settings
# they name): the product's target and everything it depends on inside this package.
sources="$(swift package --package-path "$SRC" --scratch-path "$BUILD_DIR" describe --type json 2>/dev/null | python3 -c '
import json, os, sys
package = json.load(sys.stdin)
targets = {t["name"]: t for t in package["targets"]}
todo = list(next(p for p in package["products"] if p["name"] == "hongbao")["targets"])
seen = []
while todo:
    name = todo.pop()
    if name in targets and name not in seen:
        seen.append(name)
        todo += targets[name].get("target_dependencies", [])
print(":".join(sorted(os.path.join(package["path"], targets[n]["path"]) for n in seen)))
')" || { echo "dist: swift package describe failed" >&2; exit 1; }
HONGBAO_DIST_SOURCE="$sources" bash scripts/dist-check.sh "$TARBALL" 2>&1 | tee "$STAGE/check.log" || check_rc=$?
check_seconds=$(( $(date +%s) - check_started ))
check_line="$(grep -E '^dist-check: (passed|FAILED)' "$STAGE/check.log" | tail -1 || true)"
[ -n "$check_line" ] || check_line="dist-check: FAILED (exit $check_rc, no summary)"
exposure="$(sed -nE 's/.*security --offline exposure: (.*)$/\1/p' "$STAGE/check.log" | tail -1)"

# --- 4. Figures -------------------------------------------------------------------------------
size() { local b; b=$(stat -c %s "$1"); awk -v b="$b" 'BEGIN { printf "%.1f MB (%d bytes)", b / 1048576, b }'; }
figures="$OUT/$NAME.figures.txt"
{
    echo "hongbao release figures: $NAME"
    echo "  built:            $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -sm), $(swift --version 2>/dev/null | head -1)"
    echo "  build time:       ${build_seconds} s (swift build -c release --static-swift-stdlib, $BUILD_DIR)"
    echo "  tarball:          $TARBALL: $(size "$TARBALL")"
    echo "  sha256:           $(cut -d' ' -f1 <<<"$(sha256sum "$TARBALL")")"
    echo "  binary:           bin/hongbao $(size "$PKG/bin/hongbao") (debug info stripped; built: $(size "$BUILT"))"
    echo "  links dynamically: $(readelf -dW "$PKG/bin/hongbao" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p' | tr '\n' ' ')(NEEDED)"
    echo "  needs at least:   $(objdump -T "$PKG/bin/hongbao" | grep -oE 'GLIBC_[0-9.]+' | sort -uV | tail -1), $(objdump -T "$PKG/bin/hongbao" | grep -oE 'GLIBCXX_[0-9.]+' | sort -uV | tail -1)"
    libs="$(ldd "$PKG/bin/hongbao" | awk '$1 !~ /vdso/ { print $1 }')"
    echo "  ldd bin/hongbao:  $(wc -l <<<"$libs") libraries with what libpq and libcurl pull in:"
    tr '\n' ' ' <<<"$libs" | fold -s -w 92 | sed 's/^/    /'
    echo
    echo "  systemd exposure: ${exposure:-not measured} (systemd-analyze security --offline hongbao.service)"
    echo "  check:            $check_line; ${check_seconds} s in all"
} | tee "$figures"
exit $check_rc
