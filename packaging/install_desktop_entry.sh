#!/usr/bin/env bash
# Adds burrdesk to the desktop's application menu for the current user.
#
#   packaging/install_desktop_entry.sh [EXECUTABLE]
#
# EXECUTABLE is the burrdesk to start: the desktop build (default: dist/burrdesk/burrdesk) or a
# virtual environment's .venv/bin/burrdesk. Installs burrdesk.desktop and the icon (SVG and a
# 256 px PNG) under ${XDG_DATA_HOME:-~/.local/share}; run it again after moving the build.
# Remove with: rm ~/.local/share/applications/burrdesk.desktop \
#   ~/.local/share/icons/hicolor/{scalable,256x256}/apps/burrdesk.*
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
executable="${1:-$here/../dist/burrdesk/burrdesk}"
if [ ! -x "$executable" ]; then
  echo "install_desktop_entry: no burrdesk executable at $executable;" \
    "build it with 'pyinstaller burrdesk.spec' or pass the path to one." >&2
  exit 2
fi
executable="$(cd "$(dirname "$executable")" && pwd)/$(basename "$executable")"
case "$executable" in
  *[\"\`\$\\%]*)
    echo "install_desktop_entry: a .desktop file cannot quote the path $executable." >&2
    exit 2
    ;;
esac
data="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$data/applications" "$data/icons/hicolor/scalable/apps" "$data/icons/hicolor/256x256/apps"
while IFS= read -r line; do
  case "$line" in
    "Exec=burrdesk "*) printf 'Exec="%s" %s\n' "$executable" "${line#Exec=burrdesk }" ;;
    "TryExec=burrdesk") printf 'TryExec=%s\n' "$executable" ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$here/burrdesk.desktop" > "$data/applications/burrdesk.desktop"
cp "$here/burrdesk.svg" "$data/icons/hicolor/scalable/apps/burrdesk.svg"
cp "$here/burrdesk.png" "$data/icons/hicolor/256x256/apps/burrdesk.png"
if command -v update-desktop-database > /dev/null; then
  update-desktop-database -q "$data/applications" || true
fi
echo "Installed $data/applications/burrdesk.desktop (starts $executable)."
