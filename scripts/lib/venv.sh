# Sourced by scripts/registry and scripts/test: install the package into a virtual environment
# quietly. One line on stderr ("installing into .venv…", a dot every two seconds, "done"); the
# output of venv and pip goes to VENV/install.log, which is shown only when the install fails.

# install_package VENV STAMP PIP-INSTALL-ARGUMENTS...: create VENV, upgrade pip, install, touch STAMP.
install_package() {
  local venv=$1 stamp=$2
  shift 2
  local shown=${venv#"$PWD"/}
  printf 'installing into %s…' "$shown" >&2
  mkdir -p "$venv"
  local log="$venv/install.log"
  : >"$log"
  if _logged python3 -m venv "$venv" &&
     _logged "$venv/bin/python" -m pip install --upgrade pip &&
     _logged "$venv/bin/python" -m pip install "$@"; then
    touch "$stamp"
    echo " done" >&2
  else
    echo " failed. The end of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}

# _logged COMMAND...: run COMMAND with its output appended to $log, a dot on stderr every two
# seconds while it runs; its exit status.
_logged() {
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_PROGRESS_BAR=off "$@" >>"$log" 2>&1 &
  local pid=$! ticks=0
  trap 'kill "$pid" 2>/dev/null' INT TERM
  while kill -0 "$pid" 2>/dev/null; do
    sleep 0.5
    ticks=$((ticks + 1))
    if [ $((ticks % 4)) -eq 0 ]; then printf . >&2; fi
  done
  trap - INT TERM
  wait "$pid"
}
