#!/bin/sh
# icu_data.sh LIBICUDATA_A OUT_DAT: ICU's data archive out of Debian's static
# libicudata, without what hbf's Intl never reads (legacy codepage
# converters, break iterators, transliterators, spelled-out numbers,
# language display names, character names; region names stay: zone names
# such as "Ukraine Time" use them), so that it fits the
# binary's size budget once compressed (DECISIONS.md: under 20 MB).
set -eu
lib=$1
out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
obj=$(ar t "$lib" | grep '_dat\.o$' | head -n 1)
name=${obj%_dat.o}   # icudt72l: the item prefix icupkg expects as file name
(cd "$work" && ar x "$lib" "$obj" && objcopy -O binary --only-section=.rodata "$obj" "$name.dat")
icupkg -l "$work/$name.dat" > "$work/items"
grep -E '^(lang|rbnf|brkitr|translit)/|\.cnv$|^(cnvalias\.icu|confusables\.cfu|unames\.icu)$' "$work/items" > "$work/remove.txt" || true
mkdir -p "$work/out"
icupkg -r "$work/remove.txt" "$work/$name.dat" "$work/out/$name.dat"
cp "$work/out/$name.dat" "$out"
