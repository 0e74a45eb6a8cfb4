#!/usr/bin/env bash
# Builds framesink.exe for Windows (x86_64-pc-windows-gnu, mingw-w64) and runs
# it under wine: demo, raw and Y4M encodes, join, AV1, GIF, a path with spaces
# and non-ASCII letters, a missing output directory, and Ctrl-C. The host's
# ffprobe/ffmpeg check every movie. It also checks that the .exe imports only
# Windows' own DLLs (libstdc++ and libgcc linked in, see
# scripts/mingw-w64-linker.sh).
#
# Needs: rustup's x86_64-pc-windows-gnu target, mingw-w64, wine (64-bit; it
# runs as the calling user, no root needed; tested with Debian's wine 8.0),
# ffmpeg and ffprobe. Opt-in: not run in CI. Everything goes under
# $CARGO_TARGET_DIR (default target/)/wine-cli, including a throwaway
# WINEPREFIX. Prints one ok/FAIL line per check; exits 1 if any FAIL.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
triple=x86_64-pc-windows-gnu
target_dir=${CARGO_TARGET_DIR:-$root/target}
target_dir=$(mkdir -p "$target_dir" && cd "$target_dir" && pwd)
export CARGO_TARGET_DIR=$target_dir
work=$target_dir/wine-cli
fails=0

ok() { echo "ok   $*"; }
fail() {
    echo "FAIL $*"
    fails=$((fails + 1))
}

cd "$root"
exe=$target_dir/$triple/release/framesink.exe
if ! cargo build --release -p framesink-cli --target "$triple"; then
    fail "build: cargo build --release -p framesink-cli --target $triple"
    exit 1
fi
ok "build: $exe"

# Only Windows' own DLLs: a mingw one (libstdc++-6, libgcc_s_seh-1,
# libwinpthread-1) would be missing on a user's machine.
dlls=$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/^[[:space:]]*DLL Name: //p')
foreign=$(grep -viE '^(kernel32|kernelbase|ntdll|msvcrt|ucrtbase|api-ms-win-[a-z0-9-]+|bcryptprimitives|bcrypt|advapi32|ws2_32|userenv|user32|shell32|ole32|oleaut32|secur32|crypt32|ncrypt|synchronization)\.dll$' <<<"$dlls" || true)
if [[ -z $foreign ]]; then
    ok "imports only system DLLs: $(tr '\n' ' ' <<<"$dlls")"
else
    fail "imports non-system DLLs: $(tr '\n' ' ' <<<"$foreign")"
fi

rm -rf "${work:?}/bin" "${work:?}/out"
mkdir -p "$work/bin" "$work/out"
cp "$exe" "$work/bin/"

# Rust's std gets its random numbers from bcryptprimitives.dll's ProcessPrng,
# which wine 8.0 lacks: a stand-in beside the .exe copy (and only there, so
# that no mingw DLL is beside it) fills the buffer with RtlGenRandom.
cat >"$work/bin/processprng.c" <<'EOF'
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
EOF
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$work/bin/bcryptprimitives.dll" \
    "$work/bin/processprng.c" -ladvapi32
rm "$work/bin/processprng.c"

export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEARCH=win64
# No Mono or Gecko install prompts; the stand-in wins over any builtin.
export WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n"
# wine turns the arguments into UTF-16 from the locale's encoding.
export LC_ALL=C.UTF-8
if [[ ! -d $WINEPREFIX/drive_c ]]; then
    wineboot -i >/dev/null 2>&1
fi
ok "WINEPREFIX $WINEPREFIX"

cd "$work"
fs() { wine bin/framesink.exe "$@"; }

# probe FILE CODEC WxH FRAMES: the stream as ffprobe counts it, and a whole
# decode by ffmpeg with no message.
probe() {
    local file=$1 want="$2,${3/x/,},$4" got errors
    got=$(ffprobe -v error -count_frames -select_streams v:0 \
        -show_entries stream=codec_name,width,height,nb_read_frames \
        -of csv=p=0 "$file" 2>&1 | tr -d '\r' | sed 's/,$//') || true
    errors=$(ffmpeg -nostdin -v error -i "$file" -f null - 2>&1) || errors+=" (ffmpeg failed)"
    if [[ $got == "$want" && -z $errors ]]; then
        ok "$file: $got, decodes cleanly"
    else
        fail "$file: ffprobe says '$got', expected '$want'; ffmpeg: '${errors:-no message}'"
    fi
}

# run NAME COMMAND...: a framesink run that must succeed.
run() {
    local name=$1 rc=0
    shift
    "$@" >"out/$name.log" 2>&1 || rc=$?
    if ((rc == 0)); then
        return 0
    fi
    fail "$name: exit $rc: $(tr -d '\r' <"out/$name.log" | tail -3)"
    return 1
}

# Raw input from the host's ffmpeg: 30 frames of 160x120, 25 fps.
lavfi() { ffmpeg -nostdin -v error -f lavfi -i "$1=size=160x120:rate=25" -frames:v 30 "${@:2}"; }
lavfi testsrc -f rawvideo -pix_fmt rgb24 -y out/in.rgb
lavfi testsrc -f rawvideo -pix_fmt gray -y out/in.gray
raw=(--size 160x120 --pix-fmt rgb24 --fps 25 --input out/in.rgb)

if run demo fs demo out/demo.mp4; then
    probe out/demo.mp4 h264 1280x720 300
fi
if run raw-rgb24 fs encode out/rgb24.mp4 "${raw[@]}"; then
    probe out/rgb24.mp4 h264 160x120 30
fi
if run raw-gray fs encode out/gray.mp4 --size 160x120 --pix-fmt gray --fps 25 --input out/in.gray; then
    probe out/gray.mp4 h264 160x120 30
fi
if run y4m-stdin bash -o pipefail -c 'ffmpeg -nostdin -v error -f lavfi -i testsrc=size=160x120:rate=25 \
        -frames:v 30 -f yuv4mpegpipe -pix_fmt yuv420p - | wine bin/framesink.exe encode out/y4m.mp4'; then
    probe out/y4m.mp4 h264 160x120 30
fi

parts=()
sources=(testsrc testsrc2 rgbtestsrc)
for i in 0 1 2; do
    lavfi "${sources[i]}" -f rawvideo -pix_fmt rgb24 -y "out/part$i.rgb"
    run "part$i" fs encode "out/part$i.mp4" --size 160x120 --pix-fmt rgb24 --fps 25 \
        --input "out/part$i.rgb" || true
    parts+=("out/part$i.mp4")
done
if run join fs join out/joined.mp4 "${parts[@]}"; then
    probe out/joined.mp4 h264 160x120 90
fi

if run av1 fs encode out/av1.mp4 --codec av1 "${raw[@]}"; then
    probe out/av1.mp4 av1 160x120 30
fi
if run gif fs encode out/anim.gif "${raw[@]}"; then
    probe out/anim.gif gif 160x120 30
fi

# wine hands the name to Windows as UTF-16 and back to Linux as UTF-8.
odd="out/dir with space/fïlm ünïcode.mp4"
mkdir -p "out/dir with space"
if run unicode fs encode "$odd" "${raw[@]}"; then
    if [[ -f $odd ]]; then
        probe "$odd" h264 160x120 30
    else
        fail "unicode: no file named '$odd': $(ls "out/dir with space")"
    fi
fi

missing="out/no such dir/x.mp4"
if fs encode "$missing" "${raw[@]}" >out/missing.log 2>&1; then
    fail "missing directory: exit 0"
else
    rc=$?
    msg=$(tr -d '\r' <out/missing.log)
    if grep -qF "no such dir" <<<"$msg"; then
        ok "missing directory: exit $rc: $msg"
    else
        fail "missing directory: exit $rc, the message does not name the path: $msg"
    fi
fi

# Ctrl-C. wine turns a SIGINT to the process into CTRL_C_EVENT for the
# console handlers (seen with 8.0). A 160x120 gray frame every 0.1 s through a
# FIFO; SIGINT after 4 s.
frame=$((160 * 120))
lavfi testsrc -f rawvideo -pix_fmt gray -frames:v 400 -y out/slow.gray
rm -f out/fifo
mkfifo out/fifo
(
    for ((i = 0; i < 400; i++)); do
        dd if=out/slow.gray bs=$frame skip=$i count=1 status=none
        sleep 0.1
    done
) >out/fifo &
feeder=$!
wine bin/framesink.exe encode out/ctrlc.mp4 --size 160x120 --pix-fmt gray --fps 25 \
    <out/fifo >out/ctrlc.log 2>&1 &
pid=$!
sleep 4
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
kill "$feeder" 2>/dev/null || true
wait "$feeder" 2>/dev/null || true
msg=$(tr -d '\r' <out/ctrlc.log)
if grep -q "interrupted (signal 2)" <<<"$msg"; then
    frames=$(ffprobe -v error -count_frames -select_streams v:0 \
        -show_entries stream=nb_read_frames -of csv=p=0 out/ctrlc.mp4 2>&1 | tr -d ',\r')
    errors=$(ffmpeg -nostdin -v error -i out/ctrlc.mp4 -f null - 2>&1) || errors+=" (ffmpeg failed)"
    if [[ $rc == 130 && $frames =~ ^[0-9]+$ && $frames -gt 0 && -z $errors ]]; then
        ok "Ctrl-C: exit 130, out/ctrlc.mp4 finished with $frames frames, decodes cleanly"
    else
        fail "Ctrl-C: exit $rc, frames '$frames', ffmpeg: '${errors:-no message}'; $msg"
    fi
elif [[ $rc == 0 ]]; then
    echo "NOT TESTED Ctrl-C: this wine did not deliver CTRL_C_EVENT on SIGINT (the encode ran to its end)"
else
    fail "Ctrl-C: exit $rc: $msg"
fi

# Ctrl-C while the read waits for a producer that has gone quiet: the handler
# cancels the read (CancelSynchronousIo), and the movie is finished. wine 8.0
# does not cancel a pipe read (the call fails with ERROR_NOT_FOUND): that is
# reported as not tested, and a second Ctrl-C must then exit at once (130).
rm -f out/fifo
mkfifo out/fifo
(
    dd if=out/slow.gray bs=$frame count=10 status=none
    exec sleep 60
) >out/fifo &
feeder=$!
wine bin/framesink.exe encode out/stalled.mp4 --size 160x120 --pix-fmt gray --fps 25 \
    <out/fifo >out/stalled.log 2>&1 &
pid=$!
# exited_within TENTHS: whether framesink exits within that many tenths of a second.
exited_within() {
    for ((i = 0; i < $1; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    ! kill -0 "$pid" 2>/dev/null
}
sleep 4
kill -INT "$pid"
woken=yes
if ! exited_within 50; then
    woken=no
    kill -INT "$pid"
    exited_within 50 || true
fi
kill "$feeder" 2>/dev/null || true
wait "$feeder" 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
rm -f out/fifo
msg=$(tr -d '\r' <out/stalled.log)
if [[ $woken == yes ]]; then
    if [[ $rc == 130 ]] && grep -q "interrupted (signal 2)" <<<"$msg"; then
        ok "Ctrl-C on a stalled read: the read was cancelled, exit 130"
        probe out/stalled.mp4 h264 160x120 10
    else
        fail "Ctrl-C on a stalled read: exit $rc: $msg"
    fi
else
    echo "NOT TESTED Ctrl-C on a stalled read: this wine does not cancel the blocked pipe read (CancelSynchronousIo), so the first Ctrl-C waited for more input"
    if [[ $rc == 130 ]] && grep -q "second signal: stopping now" <<<"$msg"; then
        ok "second Ctrl-C: exit 130 at once: $msg"
    else
        fail "second Ctrl-C: exit $rc: $msg"
    fi
fi

if ((fails > 0)); then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all checks passed"
