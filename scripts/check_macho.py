#!/usr/bin/env python3
"""Check the structure of a macOS wheel (or of one Mach-O file) before it is published.

    python3 scripts/check_macho.py WHEEL_OR_DYLIB [--arch arm64|x86_64] [--allow-lib NAME ...]
                                                  [--allow-unsigned-x86]

Every Mach-O in the wheel (framesink's is ``framesink/_framesink.abi3.so``), and every
slice of a universal (fat) one, is read load command by load command and checked:

arch
    The CPU type is ``--arch`` (repeat it for a universal2 binary); without ``--arch``, a
    wheel's Mach-Os must hold exactly the archs its platform tag names. The tag (in the file
    name and on the ``Tag:`` lines of ``*.dist-info/WHEEL``) must name ``--arch`` too.
libraries
    The libraries it loads (LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB,
    LC_LAZY_LOAD_DYLIB) are only /usr/lib/libSystem.B.dylib and /usr/lib/libiconv.2.dylib,
    plus ``--allow-lib`` (a full install name, or a bare file name matching any directory).
    Refused even when ``--allow-lib`` names them: anything under @rpath, /usr/local or
    /opt/homebrew (not on the user's Mac), and libpython or Python.framework (an extension
    module resolves the Python C API at load time, ``-undefined dynamic_lookup``).
signature
    An ad-hoc code signature (LC_CODE_SIGNATURE; CodeDirectory flag CS_ADHOC) whose page
    hashes match the file: Apple silicon refuses to load arm64 code without a valid one, and
    a binary edited after linking (install_name_tool) has a stale one. Intel Macs load
    unsigned x86_64 code, and Apple's ld signs only arm64 output by default; an unsigned
    x86_64 slice is still a failure (so that both archs of a release are signed the same
    way, ``codesign -s -``) unless ``--allow-unsigned-x86`` is given.
minos
    The minimum macOS (LC_BUILD_VERSION for macOS, or LC_VERSION_MIN_MACOSX) is not newer
    than the wheel's platform tag (``macosx_11_0_arm64`` promises 11.0): pip would install the
    wheel on a Mac that cannot load it. For an arm64 slice a tag older than 11.0 counts as
    11.0 (``macosx_10_9_universal2``): no arm64 Mac runs anything older.

Exit status: 0 when every check passes, 1 when one fails (each failure is printed naming the
check, the value found and what is allowed; a truncated or malformed file is a failure of
the ``structure`` check), 2 on usage errors. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import struct
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MH_MAGIC_64 = 0xFEEDFACF
MH_MAGIC = 0xFEEDFACE
FAT_MAGIC = 0xCAFEBABE
FAT_MAGIC_64 = 0xCAFEBABF
MACH_HEADER_64 = "<IiiIIIII"
FAT_ARCH = ">iiIII"
FAT_ARCH_64 = ">iiQQII"
MAX_FAT_ARCHS = (
    32  # Java class files also start with 0xcafebabe, with a "count" of 45 or more
)

CPU_TYPE_X86_64 = 0x01000007
CPU_TYPE_ARM64 = 0x0100000C
CPU_NAMES = {
    CPU_TYPE_ARM64: "arm64",
    CPU_TYPE_X86_64: "x86_64",
    7: "i386",
    12: "arm",
    18: "ppc",
    0x01000012: "ppc64",
}
KNOWN_ARCHS = ("arm64", "x86_64")

LC_CODE_SIGNATURE = 0x1D
LC_VERSION_MIN_MACOSX = 0x24
LC_BUILD_VERSION = 0x32
DYLIB_COMMANDS = {
    0xC: "LC_LOAD_DYLIB",
    0x80000018: "LC_LOAD_WEAK_DYLIB",
    0x8000001F: "LC_REEXPORT_DYLIB",
    0x20: "LC_LAZY_LOAD_DYLIB",
}
PLATFORM_MACOS = 1
PLATFORM_NAMES = {1: "macOS", 2: "iOS", 3: "tvOS", 4: "watchOS", 6: "Mac Catalyst"}

CSMAGIC_EMBEDDED_SIGNATURE = 0xFADE0CC0
CSMAGIC_CODEDIRECTORY = 0xFADE0C02
CSMAGIC_BLOBWRAPPER = 0xFADE0B01
CSSLOT_CODEDIRECTORY = 0
CSSLOT_SIGNATURESLOT = 0x10000
CS_ADHOC = 0x2
CS_LINKER_SIGNED = 0x20000
CODE_DIRECTORY = ">IIIIIIIIIBBBBI"  # magic ... pageSize, spare2: 44 bytes
CODE_DIRECTORY_LIMIT64_VERSION = 0x20300
# hashType -> (hashlib name, hash size in the CodeDirectory)
HASH_TYPES = {1: ("sha1", 20), 2: ("sha256", 32), 3: ("sha256", 20), 4: ("sha384", 48)}

ALLOWED_LIBS = ("/usr/lib/libSystem.B.dylib", "/usr/lib/libiconv.2.dylib")
REFUSED_PREFIXES = ("@rpath/", "/usr/local/", "/opt/homebrew/")
LIBPYTHON = re.compile(r"(^|/)libpython\d|(^|/)Python\.framework/|^Python$|/Python$")

# The archs a macOS platform tag's last part names (packaging's "binary formats").
TAG_ARCHS = {
    "arm64": ("arm64",),
    "x86_64": ("x86_64",),
    "universal2": ("arm64", "x86_64"),
    "intel": ("i386", "x86_64"),
    "i386": ("i386",),
}
MAC_TAG = re.compile(r"^macosx_(\d+)_(\d+)_([a-z0-9_]+)$")
ARM64_FIRST_MACOS = (11, 0)

Version = tuple[int, int, int]  # major, minor, patch


class MachOError(Exception):
    """The file is not a well-formed Mach-O (truncated, or a length or offset points outside)."""


def _read(data: bytes, offset: int, fmt: str, what: str) -> tuple[int, ...]:
    """Unpack the integers of ``fmt`` at ``offset``, refusing to read outside ``data``."""
    size = struct.calcsize(fmt)
    if offset < 0 or offset + size > len(data):
        raise MachOError(
            f"{what}: needs bytes {offset}..{offset + size}, but there are only {len(data)}"
            " (truncated file?)"
        )
    return tuple(int(value) for value in struct.unpack_from(fmt, data, offset))


def _span(data: bytes, offset: int, size: int, what: str) -> bytes:
    if offset < 0 or size < 0 or offset + size > len(data):
        raise MachOError(
            f"{what}: bytes {offset}..{offset + size} are outside the {len(data)} bytes there are"
            " (truncated file?)"
        )
    return data[offset : offset + size]


def _c_string(data: bytes, offset: int, what: str) -> str:
    if not 0 <= offset < len(data):
        raise MachOError(
            f"{what}: string offset {offset} is outside its {len(data)} bytes"
        )
    end = data.find(b"\0", offset)
    if end < 0:
        raise MachOError(f"{what}: string at offset {offset} is not NUL-terminated")
    return data[offset:end].decode("utf-8", errors="replace")


def _version(packed: int) -> Version:
    """Mach-O's xxxx.yy.zz version nibbles."""
    return (packed >> 16, (packed >> 8) & 0xFF, packed & 0xFF)


def show_version(version: tuple[int, ...]) -> str:
    shown = list(version)
    if len(shown) == 3 and shown[2] == 0:
        shown.pop()
    return ".".join(str(part) for part in shown)


def arch_name(cputype: int) -> str:
    return CPU_NAMES.get(cputype, f"cputype 0x{cputype & 0xFFFFFFFF:08x}")


@dataclass
class Signature:
    dataoff: int  # where LC_CODE_SIGNATURE puts it in the slice
    datasize: int
    flags: int
    identifier: str
    hash_name: str
    page_size: int
    pages: int
    bad_pages: list[int]
    has_cms: bool
    problem: str = ""  # why the page hashes could not be checked

    @property
    def adhoc(self) -> bool:
        return bool(self.flags & CS_ADHOC)

    @property
    def linker_signed(self) -> bool:
        return bool(self.flags & CS_LINKER_SIGNED)

    def describe(self) -> str:
        kind = "ad-hoc" if self.adhoc else "NOT ad-hoc"
        if self.linker_signed:
            kind += ", linker-signed"
        if self.has_cms:
            kind += ", CMS signature (an identity)"
        if self.problem:
            hashes = self.problem
        elif self.bad_pages:
            hashes = f"{len(self.bad_pages)} of {self.pages} page hashes WRONG"
        else:
            hashes = f"{self.pages} {self.hash_name} hashes of {self.page_size}-byte pages match"
        return f"{kind} (CodeDirectory flags 0x{self.flags:x}, id {self.identifier!r}; {hashes})"


@dataclass
class Slice:
    cputype: int
    cpusubtype: int
    filetype: int
    libraries: list[tuple[str, str]] = field(
        default_factory=list
    )  # (load command, name)
    minos: Version | None = None
    minos_source: str = ""
    platforms: list[int] = field(
        default_factory=list
    )  # LC_BUILD_VERSION platforms seen
    signature: Signature | None = None

    @property
    def arch(self) -> str:
        return arch_name(self.cputype)


def parse_signature(data: bytes, dataoff: int, datasize: int) -> Signature:
    """The embedded signature (a SuperBlob in __LINKEDIT) of one thin slice ``data``."""
    blob = _span(data, dataoff, datasize, "LC_CODE_SIGNATURE data")
    magic, length, count = _read(blob, 0, ">III", "code signature SuperBlob header")
    if magic != CSMAGIC_EMBEDDED_SIGNATURE:
        raise MachOError(
            f"code signature: SuperBlob magic 0x{magic:08x}, expected"
            f" 0x{CSMAGIC_EMBEDDED_SIGNATURE:08x}"
        )
    if not 12 <= length <= len(blob):
        raise MachOError(
            f"code signature: SuperBlob length {length} does not fit the {len(blob)} bytes of"
            " LC_CODE_SIGNATURE"
        )
    blob = blob[:length]
    if 12 + 8 * count > length:
        raise MachOError(
            f"code signature: {count} index entries do not fit in {length} bytes"
        )
    directory = b""
    has_cms = False
    for index in range(count):
        slot, offset = _read(blob, 12 + 8 * index, ">II", "code signature index entry")
        _, sub_length = _read(
            blob, offset, ">II", f"code signature blob {slot:#x} header"
        )
        sub = _span(blob, offset, sub_length, f"code signature blob {slot:#x}")
        if slot == CSSLOT_CODEDIRECTORY:
            directory = sub
        elif slot == CSSLOT_SIGNATURESLOT:
            (sub_magic,) = _read(sub, 0, ">I", "CMS signature blob")
            has_cms = sub_magic == CSMAGIC_BLOBWRAPPER and sub_length > 8
    if not directory:
        raise MachOError("code signature: no CodeDirectory (slot 0) in the SuperBlob")
    (
        cd_magic,
        _,
        cd_version,
        flags,
        hash_offset,
        ident_offset,
        _,
        n_code_slots,
        code_limit,
        hash_size,
        hash_type,
        _,
        page_shift,
        _,
    ) = _read(directory, 0, CODE_DIRECTORY, "CodeDirectory")
    if cd_magic != CSMAGIC_CODEDIRECTORY:
        raise MachOError(
            f"code signature: CodeDirectory magic 0x{cd_magic:08x}, expected"
            f" 0x{CSMAGIC_CODEDIRECTORY:08x}"
        )
    if cd_version >= CODE_DIRECTORY_LIMIT64_VERSION:
        (code_limit_64,) = _read(directory, 56, ">Q", "CodeDirectory codeLimit64")
        code_limit = code_limit_64 or code_limit
    identifier = _c_string(directory, ident_offset, "CodeDirectory identifier")
    signature = Signature(
        dataoff, datasize, flags, identifier, "", 0, n_code_slots, [], has_cms
    )

    # The code slots hash the file, page by page, from its start up to codeLimit.
    if hash_type not in HASH_TYPES:
        signature.problem = f"unknown hash type {hash_type}: page hashes not checked"
        return signature
    hash_name, expected_size = HASH_TYPES[hash_type]
    signature.hash_name = hash_name.upper().replace("SHA", "SHA-")
    if hash_size != expected_size:
        raise MachOError(
            f"code signature: hash size {hash_size} for hash type {hash_type}, expected"
            f" {expected_size}"
        )
    if code_limit > len(data):
        raise MachOError(
            f"code signature: codeLimit {code_limit} is beyond the end of the file"
            f" ({len(data)} bytes)"
        )
    page = 1 << page_shift if page_shift else max(code_limit, 1)
    signature.page_size = page
    pages = -(-code_limit // page)
    if n_code_slots != pages:
        raise MachOError(
            f"code signature: {n_code_slots} code slots for {code_limit} bytes in pages of"
            f" {page}, expected {pages}"
        )
    hashes = _span(
        directory, hash_offset, hash_size * pages, "CodeDirectory code hashes"
    )
    for number in range(pages):
        start = number * page
        chunk = data[start : min(start + page, code_limit)]
        digest = hashlib.new(hash_name, chunk).digest()[:hash_size]
        if digest != hashes[number * hash_size : (number + 1) * hash_size]:
            signature.bad_pages.append(number)
    return signature


def parse_thin(data: bytes) -> Slice:
    """One 64-bit little-endian Mach-O (a whole file, or one slice of a fat file)."""
    (magic,) = _read(data, 0, "<I", "Mach-O magic")
    if magic == MH_MAGIC:
        raise MachOError("a 32-bit Mach-O (MH_MAGIC): macOS wheels need 64-bit code")
    if magic != MH_MAGIC_64:
        raise MachOError(
            f"not a 64-bit Mach-O: magic 0x{magic:08x}, expected 0x{MH_MAGIC_64:x}"
        )
    _, cputype, cpusubtype, filetype, ncmds, sizeofcmds, _, _ = _read(
        data, 0, MACH_HEADER_64, "mach_header_64"
    )
    header_size = struct.calcsize(MACH_HEADER_64)
    commands_end = header_size + sizeofcmds
    if commands_end > len(data):
        raise MachOError(
            f"load commands: sizeofcmds {sizeofcmds} runs past the end of the file"
            f" ({len(data)} bytes; truncated file?)"
        )
    result = Slice(cputype, cpusubtype, filetype)
    offset = header_size
    signature_at: tuple[int, int] | None = None
    for number in range(ncmds):
        cmd, cmdsize = _read(data, offset, "<II", f"load command {number}")
        if cmdsize < 8 or offset + cmdsize > commands_end:
            raise MachOError(
                f"load command {number} (0x{cmd:x}): cmdsize {cmdsize} at offset {offset} does not"
                f" fit in the load commands (which end at {commands_end})"
            )
        command = data[offset : offset + cmdsize]
        if cmd in DYLIB_COMMANDS:
            kind = DYLIB_COMMANDS[cmd]
            (name_offset,) = _read(command, 8, "<I", kind)
            if name_offset < 24:
                raise MachOError(
                    f"{kind}: name offset {name_offset} is inside its header"
                )
            result.libraries.append((kind, _c_string(command, name_offset, kind)))
        elif cmd == LC_BUILD_VERSION:
            _, _, platform, minos, _, _ = _read(
                command, 0, "<IIIIII", "LC_BUILD_VERSION"
            )
            result.platforms.append(platform)
            if platform == PLATFORM_MACOS and result.minos is None:
                result.minos = _version(minos)
                result.minos_source = "LC_BUILD_VERSION"
        elif cmd == LC_VERSION_MIN_MACOSX:
            _, _, version, _ = _read(command, 0, "<IIII", "LC_VERSION_MIN_MACOSX")
            if result.minos is None:
                result.minos = _version(version)
                result.minos_source = "LC_VERSION_MIN_MACOSX"
        elif cmd == LC_CODE_SIGNATURE:
            _, _, dataoff, datasize = _read(command, 0, "<IIII", "LC_CODE_SIGNATURE")
            signature_at = (dataoff, datasize)
        offset += cmdsize
    if signature_at is not None:
        result.signature = parse_signature(data, *signature_at)
    return result


def parse_macho(data: bytes) -> list[Slice]:
    """The slices of a thin or universal (fat) Mach-O."""
    (magic,) = _read(data, 0, ">I", "magic")
    if magic not in (FAT_MAGIC, FAT_MAGIC_64):
        return [parse_thin(data)]
    (count,) = _read(data, 4, ">I", "fat header")
    if not 1 <= count <= MAX_FAT_ARCHS:
        raise MachOError(f"fat header: {count} archs (expected 1..{MAX_FAT_ARCHS})")
    entry_format = FAT_ARCH if magic == FAT_MAGIC else FAT_ARCH_64
    entry_size = struct.calcsize(entry_format)
    slices = []
    for index in range(count):
        fields = _read(data, 8 + index * entry_size, entry_format, f"fat_arch {index}")
        cputype, _, offset, size = fields[:4]
        what = f"fat slice {index} ({arch_name(cputype)})"
        if offset < 8 + count * entry_size:
            raise MachOError(f"{what}: offset {offset} overlaps the fat header")
        thin = _span(data, offset, size, what)
        try:
            parsed = parse_thin(thin)
        except MachOError as error:
            raise MachOError(f"{what}: {error}") from None
        if parsed.cputype != cputype:
            raise MachOError(
                f"{what}: the fat header says {arch_name(cputype)}, the slice is {parsed.arch}"
            )
        slices.append(parsed)
    return slices


def is_macho(head: bytes) -> bool:
    if len(head) < 8:
        return False
    (little,) = struct.unpack_from("<I", head)
    big, count = struct.unpack_from(">II", head)
    if little in (MH_MAGIC_64, MH_MAGIC):
        return True
    return big in (FAT_MAGIC, FAT_MAGIC_64) and 1 <= count <= MAX_FAT_ARCHS


@dataclass
class MacTag:
    text: str
    version: tuple[int, int]
    archs: tuple[str, ...]


@dataclass
class Wheel:
    tags: list[MacTag]  # from the file name and the WHEEL file
    machos: list[tuple[str, bytes]]  # (member name, contents)
    problems: list[tuple[str, str]]  # (check, message)


def parse_platform_tags(
    platforms: list[str], where: str
) -> tuple[list[MacTag], list[str]]:
    tags: list[MacTag] = []
    problems: list[str] = []
    for text in platforms:
        match = MAC_TAG.match(text)
        if match is None:
            problems.append(
                f"{where}: platform tag {text!r} is not a macosx_X_Y_ARCH tag"
            )
            continue
        archs = TAG_ARCHS.get(match.group(3), ())
        if not archs:
            problems.append(f"{where}: platform tag {text!r} names an unknown arch")
        tags.append(MacTag(text, (int(match.group(1)), int(match.group(2))), archs))
    return tags, problems


def read_wheel(path: Path) -> Wheel:
    problems: list[tuple[str, str]] = []
    # name-version(-build)?-python-abi-platform.whl; the platform part may be "a.b" compressed.
    parts = path.name[: -len(".whl")].split("-")
    name_platforms: list[str] = []
    if len(parts) in (5, 6):
        name_platforms = parts[-1].split(".")
    else:
        problems.append(
            ("tag", f"file name {path.name!r} is not name-version-py-abi-plat.whl")
        )
    tags, bad = parse_platform_tags(name_platforms, "file name")
    problems += [("tag", message) for message in bad]

    machos: list[tuple[str, bytes]] = []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        return Wheel(
            tags, machos, [*problems, ("structure", f"not a zip file: {error}")]
        )
    with archive:
        wheel_files = [
            member
            for member in archive.namelist()
            if member.count("/") == 1 and member.endswith(".dist-info/WHEEL")
        ]
        wheel_platforms: list[str] = []
        if len(wheel_files) != 1:
            problems.append(
                ("tag", f"expected one *.dist-info/WHEEL, found {wheel_files}")
            )
        else:
            text = archive.read(wheel_files[0]).decode("utf-8", errors="replace")
            for line in text.splitlines():
                key, _, value = line.partition(":")
                if key.strip() == "Tag":
                    tag_parts = value.strip().split("-")
                    if len(tag_parts) != 3:
                        problems.append(
                            ("tag", f"{wheel_files[0]}: bad Tag line {line!r}")
                        )
                        continue
                    wheel_platforms += tag_parts[2].split(".")
            if not wheel_platforms:
                problems.append(("tag", f"{wheel_files[0]} has no Tag: lines"))
            more, bad = parse_platform_tags(wheel_platforms, wheel_files[0])
            tags += more
            problems += [("tag", message) for message in bad]
            if (
                name_platforms
                and wheel_platforms
                and set(name_platforms) != set(wheel_platforms)
            ):
                problems.append(
                    (
                        "tag",
                        (
                            f"{wheel_files[0]} Tag: lines name {sorted(set(wheel_platforms))}, the"
                            f" file name {sorted(set(name_platforms))}"
                        ),
                    )
                )
        for info in archive.infolist():
            if info.is_dir():
                continue
            with archive.open(info) as member:
                head = member.read(8)
            if is_macho(head):
                machos.append((info.filename, archive.read(info)))
            elif info.filename.endswith((".so", ".dylib")):
                problems.append(
                    (
                        "structure",
                        f"{info.filename} is not a Mach-O (starts {head[:4].hex()})",
                    )
                )
    if not machos:
        problems.append(("structure", "the wheel holds no Mach-O file"))
    return Wheel(tags, machos, problems)


def library_problem(name: str, allowed: list[str]) -> str:
    """Why the library ``name`` may not be loaded, or "" when it may."""
    if LIBPYTHON.search(name):
        return "libpython: an extension module must not link it (-undefined dynamic_lookup)"
    for prefix in REFUSED_PREFIXES:
        if name.startswith(prefix):
            return f"under {prefix.rstrip('/')}: not on the user's Mac"
    base = name.rsplit("/", 1)[-1]
    for entry in allowed:
        if name == entry or ("/" not in entry and base == entry):
            return ""
    return "not allowed"


@dataclass
class Options:
    archs: list[str]
    allowed_libs: list[str]
    allow_unsigned_x86: bool


def check_slice(
    item: Slice,
    expected_archs: tuple[str, ...] | None,
    tags: list[MacTag] | None,
    options: Options,
) -> tuple[list[str], list[tuple[str, str]]]:
    """The report lines and the failed checks ``(check, message)`` of one slice."""
    failures: list[tuple[str, str]] = []
    lines = [f"  arch:      {item.arch} (cputype 0x{item.cputype & 0xFFFFFFFF:08x})"]
    allowed_archs = expected_archs or KNOWN_ARCHS
    if item.arch not in allowed_archs:
        failures.append(
            ("arch", f"is {item.arch}, allowed: {', '.join(allowed_archs)}")
        )

    # minos against the platform tag.
    tag_version: tuple[int, int] | None = None
    tag_text = "(not a wheel)"
    if tags is not None:
        naming = [tag for tag in tags if item.arch in tag.archs]
        if naming:
            lowest = min(naming, key=lambda tag: tag.version)
            tag_version = lowest.version
            tag_text = f"{show_version(lowest.version)} ({lowest.text})"
            if item.arch == "arm64" and tag_version < ARM64_FIRST_MACOS:
                tag_version = ARM64_FIRST_MACOS
                tag_text += f", counts as {show_version(ARM64_FIRST_MACOS)} for arm64"
        else:
            tag_text = f"(no platform tag names {item.arch})"
    if item.minos is None:
        non_mac = [PLATFORM_NAMES.get(p, f"platform {p}") for p in item.platforms]
        found = f"built for {', '.join(non_mac)}" if non_mac else "no LC_BUILD_VERSION"
        lines.append(f"  minos:     none ({found})")
        failures.append(
            ("minos", f"no minimum macOS version ({found}, no LC_VERSION_MIN_MACOSX)")
        )
    else:
        lines.append(f"  minos:     {show_version(item.minos)} ({item.minos_source})")
        if tag_version is not None and item.minos[:2] > tag_version:
            failures.append(
                (
                    "minos",
                    (
                        f"the binary needs macOS {show_version(item.minos)}, newer than the wheel's"
                        f" platform tag promises: {tag_text}"
                    ),
                )
            )
    lines.append(f"  tag:       {tag_text}")

    names = [name for _, name in item.libraries]
    lines.append(f"  libraries: {', '.join(names) if names else '(none)'}")
    allowed = [*ALLOWED_LIBS, *options.allowed_libs]
    for kind, name in item.libraries:
        why = library_problem(name, allowed)
        if why:
            failures.append(
                ("libraries", f"{kind} {name}: {why}; allowed: {', '.join(allowed)}")
            )

    signature = item.signature
    if signature is None:
        lines.append("  signature: none (no LC_CODE_SIGNATURE)")
        if item.arch == "arm64":
            failures.append(
                (
                    "signature",
                    "unsigned (no LC_CODE_SIGNATURE): Apple silicon will not load it",
                )
            )
        elif not (item.arch == "x86_64" and options.allow_unsigned_x86):
            failures.append(
                (
                    "signature",
                    "unsigned (no LC_CODE_SIGNATURE); --allow-unsigned-x86 accepts it",
                )
            )
    else:
        lines.append(f"  signature: {signature.describe()}")
        if not signature.adhoc:
            failures.append(
                (
                    "signature",
                    f"not ad-hoc: CodeDirectory flags 0x{signature.flags:x} lack CS_ADHOC (0x2)",
                )
            )
        if signature.bad_pages:
            pages = ", ".join(str(page) for page in signature.bad_pages[:8])
            failures.append(
                (
                    "signature",
                    (
                        f"page hashes do not match the file (pages {pages}"
                        f"{' ...' if len(signature.bad_pages) > 8 else ''} of {signature.pages}):"
                        " the binary was changed after it was signed"
                    ),
                )
            )
        if signature.problem:
            failures.append(("signature", signature.problem))
    return lines, failures


def check(path: Path, options: Options) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Report lines and failures ``(check, where, message)`` for a wheel or a Mach-O file."""
    lines: list[str] = []
    failures: list[tuple[str, str, str]] = []
    tags: list[MacTag] | None = None
    if path.name.endswith(".whl"):
        wheel = read_wheel(path)
        tags = wheel.tags
        machos = wheel.machos
        failures += [(name, path.name, message) for name, message in wheel.problems]
        shown = sorted({tag.text for tag in tags})
        lines.append(f"{path.name}: platform tags {', '.join(shown) or '(none)'}")
        for arch in options.archs:
            for tag in tags:
                if arch not in tag.archs:
                    failures.append(
                        ("tag", path.name, f"{tag.text} does not name {arch}")
                    )
    else:
        machos = [(path.name, path.read_bytes())]
    expected: tuple[str, ...] | None = tuple(options.archs) or None
    if expected is None and tags:
        expected = tuple(sorted({arch for tag in tags for arch in tag.archs}))
    for name, data in machos:
        try:
            slices = parse_macho(data)
        except MachOError as error:
            lines.append(f"{name}: malformed")
            failures.append(("structure", name, str(error)))
            continue
        kind = f"universal, {len(slices)} slices" if len(slices) > 1 else "thin"
        lines.append(f"{name} ({kind}, {len(data)} bytes)")
        for item in slices:
            where = f"{name} [{item.arch}]"
            if len(slices) > 1:
                lines.append(f" slice {item.arch}:")
            slice_lines, slice_failures = check_slice(item, expected, tags, options)
            lines += slice_lines
            failures += [(check, where, message) for check, message in slice_failures]
        present = {item.arch for item in slices}
        for arch in expected or ():
            if arch not in present:
                found = ", ".join(sorted(present))
                failures.append(("arch", name, f"no {arch} slice (has {found})"))
    return lines, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check the Mach-O files of a macOS wheel: arch, libraries, code signature,"
        " minimum macOS.",
    )
    parser.add_argument("path", metavar="WHEEL_OR_DYLIB", type=Path)
    parser.add_argument(
        "--arch",
        action="append",
        choices=KNOWN_ARCHS,
        default=[],
        help="the arch the Mach-O must be (repeat for a universal2 binary)",
    )
    parser.add_argument(
        "--allow-lib",
        action="append",
        default=[],
        metavar="NAME",
        help="also allow this library (an install name, or a file name in any directory)",
    )
    parser.add_argument(
        "--allow-unsigned-x86",
        action="store_true",
        help="accept an x86_64 slice without a code signature (Intel Macs load it)",
    )
    args = parser.parse_args(argv)
    path: Path = args.path
    if not path.is_file():
        parser.error(f"{path}: no such file")
    options = Options(
        list(dict.fromkeys(args.arch)), args.allow_lib, args.allow_unsigned_x86
    )
    lines, failures = check(path, options)
    print("\n".join(lines))
    if failures:
        print(f"\nFAILED: {len(failures)} check(s)", file=sys.stderr)
        for name, where, message in failures:
            print(f"  [{name}] {where}: {message}", file=sys.stderr)
        return 1
    print("OK: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
