#!/usr/bin/env bash
# System components the tests and the demo need; run by `make install` (and so by `make test`
# and `make demo`). Installs what is missing with apt-get when it can (root, or sudo without a
# password); otherwise stops with one line naming the exact command to run.
#
#   chromium      rendering (daily8 pages, bot challenges): /usr/bin/chromium or $NEWSCRAWL_CHROMIUM
#   redis-server  distributed mode tests (a throw-away server on a free loopback port)
#   postgresql    database pipeline tests (initdb/pg_ctl of a throw-away cluster)
#   python3-venv  `python3 -m venv` (Debian ships it apart from python3)
#   make          the project's commands
#
# A machine without make can run this script directly: `bash scripts/install-system.sh`.
set -euo pipefail

say() { printf '==> %s\n' "$*"; }

. /etc/os-release 2>/dev/null || true
distro="${ID:-unknown}"
like="${ID_LIKE:-}"

# component -> Debian/Ubuntu package
chromium_pkg=chromium
if [ "$distro" = ubuntu ]; then
  chromium_pkg=chromium-browser  # Ubuntu's name (a snap wrapper: set NEWSCRAWL_CHROMIUM if it lives elsewhere)
fi

have_chromium() {
  [ -x "${NEWSCRAWL_CHROMIUM:-/usr/bin/chromium}" ] || command -v chromium >/dev/null \
    || command -v chromium-browser >/dev/null
}
have_postgresql() {
  command -v initdb >/dev/null || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

which_quiet() { command -v "$1" >/dev/null; }
missing=()
check() {  # check <package> <test command...>
  local pkg=$1
  shift
  if "$@"; then
    say "system: $pkg ok"
  else
    say "system: $pkg missing"
    missing+=("$pkg")
  fi
}
check "$chromium_pkg" have_chromium
check redis-server which_quiet redis-server
check postgresql have_postgresql
check python3-venv "${PYTHON:-python3}" -c 'import venv, ensurepip'
check make which_quiet make

[ ${#missing[@]} -eq 0 ] && exit 0

install_cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if ! command -v apt-get >/dev/null || { [ "$distro" != debian ] && [ "$distro" != ubuntu ] \
    && [[ " $like " != *" debian "* ]]; }; then
  echo "make install: missing ${missing[*]} (Debian/Ubuntu package names); install them with your package manager" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "make install: missing ${missing[*]}; run: sudo apt-get update && sudo $install_cmd" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# wait for another apt run (unattended upgrades, a second shell) instead of failing on its lock
lock=(-o DPkg::Lock::Timeout=300)
say "apt-get update"
"${sudo[@]}" apt-get "${lock[@]}" update -q
say "$install_cmd"
# shellcheck disable=SC2086
"${sudo[@]}" apt-get "${lock[@]}" install -y -q --no-install-recommends ${missing[*]}
say "system: installed ${missing[*]}"
