#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# meson install puts the library, headers, pkg-config file, shim and runner
# where they belong, and they work from there: the runner finds its shim
# relative to itself, and a program builds against the installed library.
# Usage: test_install.sh BUILDDIR EXAMPLE_C
B=$1 EXAMPLE=$2
. "$(dirname "$0")/lib.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
root=$tmp/root

install_tree() {
	meson install -C "$B" --no-rebuild --quiet --destdir "$root" >"$tmp/install.log" 2>&1 ||
		{ cat "$tmp/install.log"; return 1; }
	prefix=$(meson introspect "$B" --buildoptions |
		python3 -c 'import json,sys; o={x["name"]:x["value"] for x in json.load(sys.stdin)}; print(o["prefix"], o["bindir"], o["libdir"], o["includedir"])')
	read -r pfx bindir libdir incdir <<<"$prefix"
	echo "$root$pfx $bindir $libdir $incdir" >"$tmp/layout"
	for f in "$bindir/uiommufd-run" "$libdir/libuiommufd.so.0" \
		"$libdir/libuiommufd-preload.so" "$libdir/pkgconfig/uiommufd.pc" \
		"$incdir/uiommufd/uiommufd.h" "$incdir/uiommufd/abi.h"; do
		[ -e "$root$pfx/$f" ] || { echo "missing: $pfx/$f"; return 1; }
	done
}

installed_runner() {
	read -r top bindir libdir _ <"$tmp/layout"
	out=$("$top/$bindir/uiommufd-run" -- sh -c 'echo "$LD_PRELOAD"; stat -c %F /dev/iommu')
	expect_match "shim from the installed tree" "^(.*:)?$top/$libdir/libuiommufd-preload\\.so\$" "$(echo "$out" | head -1)"
	expect_eq "emulated node" "character special file" "$(echo "$out" | tail -1)"
	expect_match "version" '^uiommufd-run ' "$("$top/$bindir/uiommufd-run" --version)"
}

pkg_config_build() {
	read -r top _ libdir _ <"$tmp/layout"
	command -v pkg-config >/dev/null || skip_case "pkg-config is not installed"
	flags=$(PKG_CONFIG_PATH=$top/$libdir/pkgconfig pkg-config --define-variable=prefix="$top" --cflags --libs uiommufd)
	expect_match "flags" "-I$top/" "$flags"
	# shellcheck disable=SC2086
	${CC:-cc} ${INSTALL_TEST_CFLAGS:-} -o "$tmp/demo" "$EXAMPLE" $flags
	LD_LIBRARY_PATH=$top/$libdir "$tmp/demo" >"$tmp/demo.out"
	LD_LIBRARY_PATH=$top/$libdir ldd "$tmp/demo" | grep -q "$top/$libdir/libuiommufd.so.0" ||
		{ echo "not linked against the installed library"; ldd "$tmp/demo"; return 1; }
}

run_case install_tree
run_case installed_runner
run_case pkg_config_build
finish
