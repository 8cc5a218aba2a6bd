#!/usr/bin/env bash
# The host build of the portal's container image (packages/backend/Dockerfile), runnable
# without a Docker engine.
#
#   bash scripts/host-build.sh build
#       The host part: `yarn tsc` (skipped with MVR_HOST_BUILD_SKIP_TSC=1, e.g. when the
#       type check already ran) and `yarn build:backend`, which builds the plugins and
#       packages/app and writes packages/backend/dist/{skeleton,bundle}.tar.gz.
#   bash scripts/host-build.sh image <empty folder>
#       Performs the Dockerfile's instructions, in order, in <empty folder> standing for
#       the image's WORKDIR. It reads the Dockerfile itself, so the steps cannot drift
#       from it: COPY from the repository root (the build context) honouring
#       .dockerignore, RUN with bash in the folder, ENV exported to the later steps and
#       to the CMD. USER/--chown: the RUN steps run as the caller (they use the caller's
#       yarn cache instead of the image's cache mount), then the folder is given to the
#       run user (below). `# host-build: skip` before an instruction skips it (Debian
#       packages the host has). Any other instruction than FROM, ARG, ENV, USER,
#       WORKDIR, COPY, RUN, EXPOSE, VOLUME, CMD fails.
#       Writes <folder>/.host-build/{env,cmd,user,expose} for `run`.
#   bash scripts/host-build.sh run <folder>
#       Starts the image's CMD in <folder> with its ENV (plus the caller's environment),
#       as the Dockerfile's USER would: when called as root, as MVR_HOST_BUILD_USER
#       (default `nobody`); exec's, so the caller's pid is the backend's.
source "$(dirname "$0")/env.sh"
DOCKERFILE="${MVR_DOCKERFILE:-$MVR_ROOT/packages/backend/Dockerfile}"
DOCKERIGNORE="$MVR_ROOT/.dockerignore"
RUN_USER="${MVR_HOST_BUILD_USER:-nobody}"

die() { echo "[host-build] $*" >&2; exit 1; }

cmd_build() {
  cd "$MVR_ROOT"
  if [ "${MVR_HOST_BUILD_SKIP_TSC:-}" != 1 ]; then
    echo "[host-build] yarn tsc" >&2
    yarn tsc
  fi
  echo "[host-build] yarn build:backend" >&2
  yarn build:backend
  [ -f packages/backend/dist/skeleton.tar.gz ] && [ -f packages/backend/dist/bundle.tar.gz ] ||
    die "yarn build:backend did not write packages/backend/dist/{skeleton,bundle}.tar.gz"
}

# The Dockerfile as logical instructions, one per line (continuations joined, comments
# dropped); an instruction preceded by `# host-build: skip` gets the prefix `SKIP `.
dockerfile_instructions() {
  awk '
    /^[[:space:]]*#[[:space:]]*host-build:[[:space:]]*skip/ { skip = 1; next }
    cont == 0 && /^[[:space:]]*(#|$)/ { next }
    {
      line = $0
      if (cont) { sub(/^[[:space:]]+/, "", line) }
      if (line ~ /\\[[:space:]]*$/) { sub(/\\[[:space:]]*$/, "", line); buf = buf line " "; cont = 1; next }
      buf = buf line; cont = 0
      print (skip ? "SKIP " : "") buf
      buf = ""; skip = 0
    }
  ' "$DOCKERFILE"
}

# .dockerignore patterns (no negations: this interpreter does not support them).
ignore_patterns() {
  [ -f "$DOCKERIGNORE" ] || return 0
  grep -v '^[[:space:]]*\(#\|$\)' "$DOCKERIGNORE" | sed 's#^/##; s#/$##'
}

# COPY <src>... <dest>, Docker's semantics for what this Dockerfile uses: a directory's
# contents go into <dest>; files go into <dest> when it ends with `/` (or is a folder).
do_copy() {
  local image="$1" workdir="$2"; shift 2
  local args=() a
  for a in "$@"; do
    case "$a" in --chown=*|--chmod=*|--link) ;; --*) die "COPY option $a is not supported" ;; *) args+=("$a") ;; esac
  done
  [ ${#args[@]} -ge 2 ] || die "COPY needs a source and a destination: $*"
  local dest="${args[-1]}"; unset 'args[-1]'
  # the folder stands for the WORKDIR
  case "$dest" in
    "$workdir") dest="$image/" ;;
    "$workdir"/*) dest="$image/${dest#"$workdir"/}" ;;
    /*) die "COPY to $dest: only destinations inside the WORKDIR ($workdir) are supported" ;;
    *) dest="$image/$dest" ;;
  esac
  local src pat
  for src in "${args[@]}"; do
    src="${src#./}"
    [ -e "$MVR_ROOT/$src" ] || die "COPY $src: not in the build context (run 'scripts/host-build.sh build' first?)"
    while IFS= read -r pat; do
      # shellcheck disable=SC2053 # glob match on purpose (.dockerignore patterns)
      if [[ $src == $pat || $src == $pat/* ]]; then die "COPY $src: excluded by .dockerignore ($pat)"; fi
    done < <(ignore_patterns)
    if [ -d "$MVR_ROOT/$src" ]; then
      mkdir -p "$dest"
      # the directory's contents, minus the .dockerignore patterns below it
      local excludes=()
      while IFS= read -r pat; do
        case "$pat" in "$src"/*) excludes+=("--exclude=./${pat#"$src"/}") ;; esac
      done < <(ignore_patterns)
      tar -C "$MVR_ROOT/$src" --anchored "${excludes[@]}" -cf - . | tar -C "$dest" -xf -
    else
      if [[ $dest == */ ]] || [ ${#args[@]} -gt 1 ] || [ -d "$dest" ]; then
        mkdir -p "$dest"; cp -a "$MVR_ROOT/$src" "$dest/"
      else
        mkdir -p "$(dirname "$dest")"; cp -a "$MVR_ROOT/$src" "$dest"
      fi
    fi
  done
}

cmd_image() {
  local image="${1:?usage: host-build.sh image <empty folder>}"
  mkdir -p "$image"
  image="$(cd "$image" && pwd)"
  [ -z "$(ls -A "$image")" ] || die "$image is not empty"
  [ -f "$DOCKERFILE" ] || die "no $DOCKERFILE"
  local meta="$image/.host-build" workdir="" user="" kw rest line n=0
  mkdir -p "$meta"
  : > "$meta/env"; : > "$meta/expose"
  while IFS= read -r line; do
    n=$((n + 1))
    if [[ $line == "SKIP "* ]]; then
      echo "[host-build] step $n skipped (host-build: skip): ${line:5:90}" >&2
      continue
    fi
    kw="${line%%[[:space:]]*}"; kw="${kw^^}"
    rest="${line#*[[:space:]]}"; rest="${rest#"${rest%%[![:space:]]*}"}"
    echo "[host-build] step $n: $kw ${rest:0:110}" >&2
    case "$kw" in
      FROM|ARG) ;;
      ENV)
        # ENV key=value ... (the form this Dockerfile uses); quoted as in a shell
        [[ $rest == *=* ]] || die "ENV must use the key=value form: $line"
        eval "export $rest"
        echo "export $rest" >> "$meta/env" ;;
      USER) user="$rest" ;;
      WORKDIR)
        case "$rest" in /*) workdir="$rest" ;; *) workdir="$workdir/$rest" ;; esac
        # the folder stands for the WORKDIR: only one is supported
        [ -z "${first_workdir:-}" ] || [ "$first_workdir" = "$workdir" ] || die "a second WORKDIR is not supported"
        first_workdir="$workdir" ;;
      COPY)
        [ -n "$workdir" ] || die "COPY before WORKDIR"
        # shellcheck disable=SC2086 # the Dockerfile's words
        do_copy "$image" "$workdir" $rest ;;
      RUN)
        [ -n "$workdir" ] || die "RUN before WORKDIR"
        # drop BuildKit flags (cache mounts: the host's caches stand for them)
        while [[ $rest == --* ]]; do rest="${rest#*[[:space:]]}"; rest="${rest#"${rest%%[![:space:]]*}"}"; done
        (cd "$image" && bash -euo pipefail -c "$rest") || die "step $n failed: RUN $rest" ;;
      EXPOSE) echo "$rest" >> "$meta/expose" ;;
      VOLUME) ;;
      CMD)
        [[ $rest == \[* ]] || die "CMD must use the exec (JSON) form"
        echo "$rest" > "$meta/cmd" ;;
      *) die "instruction $kw is not supported by scripts/host-build.sh (line: $line)" ;;
    esac
  done < <(dockerfile_instructions)
  [ -s "$meta/cmd" ] || die "the Dockerfile has no CMD"
  echo "${user:-root}" > "$meta/user"
  # USER node + COPY --chown=node:node: everything in the image belongs to the run user.
  if [ "$(id -u)" = 0 ] && [ "${user:-root}" != root ]; then
    id "$RUN_USER" >/dev/null 2>&1 || die "no user $RUN_USER to stand for the image's USER $user"
    chown -R "$RUN_USER:" "$image"
  fi
}

cmd_run() {
  local image="${1:?usage: host-build.sh run <folder>}"
  image="$(cd "$image" && pwd)"
  local meta="$image/.host-build"
  [ -s "$meta/cmd" ] || die "$image was not made by 'host-build.sh image'"
  # shellcheck disable=SC1091
  source "$meta/env"
  local cmd=()
  mapfile -t cmd < <(node -e 'for (const a of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))) console.log(a)' "$meta/cmd")
  cd "$image"
  if [ "$(id -u)" = 0 ] && [ "$(cat "$meta/user")" != root ]; then
    # the image's non-root USER: no capability, no root group; HOME inside the folder
    id "$RUN_USER" >/dev/null 2>&1 || die "no user $RUN_USER to stand for the image's USER (set MVR_HOST_BUILD_USER)"
    export HOME="$image"
    local as_user=(setpriv --reuid="$(id -u "$RUN_USER")" --regid="$(id -g "$RUN_USER")" --clear-groups)
    "${as_user[@]}" "${cmd[0]}" --version >/dev/null 2>&1 ||
      die "$RUN_USER cannot run ${cmd[0]} ($(command -v "${cmd[0]}")): put a Node.js it can read on the PATH or set MVR_HOST_BUILD_USER"
    exec setpriv --reuid="$(id -u "$RUN_USER")" --regid="$(id -g "$RUN_USER")" --clear-groups \
      --inh-caps=-all --bounding-set=-all -- "${cmd[@]}"
  fi
  exec "${cmd[@]}"
}

case "${1:-}" in
  build) cmd_build ;;
  image) shift; cmd_image "$@" ;;
  run) shift; cmd_run "$@" ;;
  *) die "usage: host-build.sh build | image <empty folder> | run <folder>" ;;
esac
