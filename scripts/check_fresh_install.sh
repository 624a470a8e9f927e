#!/usr/bin/env bash
# Checks that README's set-up command works on this machine from a fresh clone.
#
#   scripts/check_fresh_install.sh [--keep] [REPOSITORY]
#
# 1. Checks what the command needs from the system: Python 3.11+ with venv (Debian's
#    python3-venv), git, and the shared libraries Qt loads even offscreen; names exactly the
#    apt packages that are missing and stops, instead of letting Qt fail later with a plugin
#    error.
# 2. Clones REPOSITORY (default: the repository this script is in) at its HEAD commit into a
#    temporary folder: only committed files, nothing from this working tree's .venv.
# 3. Runs the install part of README's first command there, read from that clone's README:
#    `python3 -m venv .venv && .venv/bin/pip install -e .` (everything before
#    `&& .venv/bin/burrdesk`, which would open the window).
# 4. Checks the result without a screen: `burrdesk --version`, `burrdesk --screenshot` offscreen
#    (a real PNG of the window), and a headless run of an example flow.
#
# Exit codes: 0 all good, 1 a check failed, 3 system packages are missing.
# --keep leaves the temporary folder in place for a look afterwards.
set -euo pipefail

keep=0
if [ "${1:-}" = "--keep" ]; then
  keep=1
  shift
fi
here="$(cd "$(dirname "$0")" && pwd)"
source_repo="${1:-$(git -C "$here" rev-parse --show-toplevel)}"

step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "check_fresh_install: $*" >&2
  exit 1
}

# --- 1. the system --------------------------------------------------------------------------
step "System requirements"
# Shared libraries Qt needs even offscreen, as "apt package=library it provides". The same
# list is in README ("Installing on a bare machine") and .ci/run.
qt_libraries=(
  libegl1=libEGL.so.1 libgl1=libGL.so.1 libfontconfig1=libfontconfig.so.1
  libglib2.0-0=libglib-2.0.so.0 libxkbcommon0=libxkbcommon.so.0 libdbus-1-3=libdbus-1.so.3
)
# What Qt's X11 platform plugin (xcb) links on top of those: needed to open the window on an
# X11 desktop (or XWayland), not for --screenshot or the tests.
x11_libraries=(
  libxcb-cursor0=libxcb-cursor.so.0 libxcb-icccm4=libxcb-icccm.so.4
  libxcb-image0=libxcb-image.so.0 libxcb-keysyms1=libxcb-keysyms.so.1
  libxcb-randr0=libxcb-randr.so.0 libxcb-render-util0=libxcb-render-util.so.0
  libxcb-shape0=libxcb-shape.so.0 libxcb-shm0=libxcb-shm.so.0 libxcb-sync1=libxcb-sync.so.1
  libxcb-xfixes0=libxcb-xfixes.so.0 libxcb-xkb1=libxcb-xkb.so.1
  libxkbcommon-x11-0=libxkbcommon-x11.so.0 libx11-xcb1=libX11-xcb.so.1
)
ldconfig_bin="$(command -v ldconfig || echo /sbin/ldconfig)"
installed_libraries="$("$ldconfig_bin" -p 2> /dev/null || true)"

# Prints the packages among "package=library" pairs whose library the loader cannot find.
missing_packages() {
  local pair
  for pair in "$@"; do
    grep -qF "${pair#*=} " <<< "$installed_libraries" || printf '%s ' "${pair%%=*}"
  done
}

missing=()
if ! command -v python3 > /dev/null; then
  missing+=(python3)
elif ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  fail "README needs Python 3.11 or newer; python3 is $(python3 --version 2>&1)."
elif ! python3 -c 'import ensurepip, venv' 2> /dev/null; then
  missing+=(python3-venv)
fi
command -v git > /dev/null || missing+=(git)
if [ -z "$installed_libraries" ]; then
  echo "warning: ldconfig -p lists nothing, so the Qt libraries cannot be checked." >&2
else
  read -r -a missing_qt <<< "$(missing_packages "${qt_libraries[@]}")"
  read -r -a missing_x11 <<< "$(missing_packages "${x11_libraries[@]}")"
  missing+=("${missing_qt[@]}")
  if ((${#missing_x11[@]})); then
    if [ -n "${DISPLAY:-}" ]; then
      missing+=("${missing_x11[@]}")
    else
      echo "note: to open the window on an X11 desktop, also install: ${missing_x11[*]}"
    fi
  fi
fi
if ((${#missing[@]})); then
  echo "Missing packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 3
fi
echo "ok: $(python3 --version), git, and the libraries Qt needs offscreen"

# --- 2. a fresh clone -----------------------------------------------------------------------
step "Fresh clone of $source_repo"
work="$(mktemp -d "${TMPDIR:-/tmp}/burrdesk-fresh-install.XXXXXX")"
if ((keep)); then
  echo "keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
git clone --quiet --no-hardlinks "$source_repo" "$work/burrdesk"
cd "$work/burrdesk"
echo "cloned $(git rev-parse --short HEAD) into $work/burrdesk"

# --- 3. README's command --------------------------------------------------------------------
step "README's set-up command"
readme_command='^python3 -m venv \.venv && .* && \.venv/bin/burrdesk$'
command_line="$(grep -m1 -E "$readme_command" README.md || true)"
[ -n "$command_line" ] || fail "README.md has no set-up command ending in '&& .venv/bin/burrdesk'."
install_part="${command_line% && .venv/bin/burrdesk}"
echo "\$ $install_part"
start=$SECONDS
if ! bash -c "$install_part" > "$work/install.log" 2>&1; then
  tail -n 40 "$work/install.log" >&2
  fail "README's set-up command failed (the end of its output is above): $install_part"
fi
echo "installed in $((SECONDS - start)) s"

# --- 4. the result, without a screen ------------------------------------------------------
step "Checks"
export BURRDESK_DATA_DIR="$work/data" QT_QPA_PLATFORM=offscreen
expected_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml)"
version="$(.venv/bin/burrdesk --version)"
[ "$version" = "burrdesk $expected_version" ] ||
  fail "burrdesk --version printed '$version', expected 'burrdesk $expected_version'."
echo "ok: burrdesk --version: $version"

.venv/bin/burrdesk --screenshot "$work/window.png" resources/examples/chatbot.burrflow ||
  fail "burrdesk --screenshot failed (see Qt's message above)."
size="$(wc -c < "$work/window.png")"
[ "$(head -c 8 "$work/window.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
  fail "$work/window.png is not a PNG."
[ "$size" -gt 10000 ] || fail "$work/window.png is only $size bytes: the window did not draw."
echo "ok: burrdesk --screenshot wrote a $size-byte PNG"

.venv/bin/burrdesk run resources/examples/counter.burrflow --db "$work/runs.db" > "$work/run.txt" ||
  fail "burrdesk run of the counter example failed: $(cat "$work/run.txt")"
grep -q "completed" "$work/run.txt" ||
  fail "the counter example did not complete: $(cat "$work/run.txt")"
echo "ok: burrdesk run resources/examples/counter.burrflow: $(tail -n 1 "$work/run.txt")"

step "README's set-up command works from a fresh clone."
