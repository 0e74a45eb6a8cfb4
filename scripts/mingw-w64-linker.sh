#!/bin/sh
# The linker of x86_64-pc-windows-gnu (set in .cargo/config.toml).
# OpenH264 is C++, so the link asks for -lstdc++, and mingw-w64 then takes the
# import library of libstdc++-6.dll, which a Windows user does not have.
# Naming the archive by file name links it statically. `-static` with
# crt-static does not (the import library still wins), and CXXSTDLIB_STATIC
# fails because openh264-sys2 asks for the library twice. rustc already links
# libgcc (gcc_eh) and winpthread statically, so nothing else is mapped.
for arg in "$@"; do
    shift
    [ "$arg" = -lstdc++ ] && arg=-l:libstdc++.a
    set -- "$@" "$arg"
done
exec x86_64-w64-mingw32-gcc "$@"
