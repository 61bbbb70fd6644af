# tests/cli_layout.sh - the layering check (tools/layout.cmake, run on every build) passes on
# the tree and refuses each kind of violation planted in a copy of it: an engine file that
# includes the domain, a subsystem that includes one it may not use (a circle), another
# subsystem's internal header, and a hand-written prototype of another file's function.
set -euo pipefail
source tests/lib.sh "$@"

check_tree() {   # check_tree DIR: runs the check, keeping its output in $TMP/layout
    set +e
    cmake -DROOT="$1" -DSTAMP="$TMP/stamp" -P tools/layout.cmake >"$TMP/layout" 2>&1
    status=$?
    set -e
}

check_tree "$PWD"
[ "$status" -eq 0 ] || fail "the tree breaks its own layering: $(cat "$TMP/layout")"

plant() {   # plant NAME FILE LINE EXPECTED: a copy of the tree with LINE appended to FILE
    local name=$1 file=$2 line=$3 want=$4 copy="$TMP/$1"
    mkdir -p "$copy"
    cp -r sim nodes "$copy/"
    printf '%s\n' "$line" >>"$copy/$file"
    check_tree "$copy"
    [ "$status" -ne 0 ] || fail "$name: the check let it pass"
    grep -q -- "$want" "$TMP/layout" || fail "$name: the refusal does not say '$want': $(cat "$TMP/layout")"
    grep -q -- "$file" "$TMP/layout" || fail "$name: the refusal does not name $file"
}

plant engine sim/sim_world.c '#include "domain/domain.h"' 'sim/ includes only sim_'
plant circle nodes/domain/domain.c '#include "platform/platform.h"' 'domain includes platform'
plant internal nodes/fault/fault.c '#include "platform/platform_internal.h"' "platform's internal header"
plant prototype nodes/kinds/nws.c 'int node_site_create(sim_world *w, const char *name, sim_node **out);' 'hand-written prototype'
plant multiline nodes/rollout/rollout.c "$(printf 'uint64_t body_inquire(sim_node *n, uint64_t addressee_no, int procedure,\n                      uint32_t provider, uint32_t staff);')" 'hand-written prototype'
plant loose nodes/stray.c '/* a file outside any subsystem */' 'each subsystem has its folder'
finish
