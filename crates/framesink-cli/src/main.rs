//! The `framesink` binary: see the library crate for the commands.

fn main() {
    // Only the binary: `python -m framesink` keeps Python's own handlers.
    framesink_cli::signals::install();
    std::process::exit(framesink_cli::run(std::env::args_os()));
}
