# Starting and warming groups of servers for a section (sourced by scripts/bench.sh).
#   start_each MODE "NAME CLASS [ARGS...]"...   start each (mode echo|http|idle); UP = names that came up
#   stop_each                                   stop every server in UP
#   rotate ROUND NAME...                        the names, rotated by ROUND (alternating who goes first)

UP=()

start_each() {
  local mode=$1 spec
  shift
  UP=()
  for spec in "$@"; do
    local -a s=($spec)
    if server_start "${s[0]}" "${s[1]}" "$mode" "${s[@]:2}"; then
      UP+=("${s[0]}")
    else
      log "  (skipping ${s[0]})"
    fi
  done
}

stop_each() {
  local name
  for name in "${UP[@]}"; do server_stop "$name"; done
  UP=()
}

rotate() {
  local r=$1
  shift
  local -a a=("$@")
  local n=${#a[@]} i
  for ((i = 0; i < n; i++)); do printf '%s\n' "${a[(i + r) % n]}"; done
}
