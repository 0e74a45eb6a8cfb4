//! Linux: the extension binds its own symbols to itself (`-Bsymbolic`).
//! rav1d's assembly reaches Rust tables (`dav1d_mc_subpel_filters`, ...)
//! by PC-relative addresses; in a shared object those tables are exported,
//! so preemptible, and the linker refuses the relocation ("recompile with
//! -fPIC"). Bound locally they are not preemptible, and nothing else can
//! want to replace a Python extension's symbols. Executables (the CLI) are
//! not affected; Mach-O and PE have no symbol preemption.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-Bsymbolic");
    }
}
