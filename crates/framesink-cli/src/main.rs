//! The `framesink` binary: see the library crate for the commands.

fn main() {
    std::process::exit(framesink_cli::run(std::env::args_os()));
}
