//! The `yimen` binary: parses the command line and hands over to the library.

#![forbid(unsafe_code)]

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = yimen::cli::Cli::parse();
    // On the heap: the whole program's future is too large for the main thread's stack in debug builds.
    let code = match Box::pin(yimen::cli::run(cli)).await {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("error: {error:#}");
            1
        }
    };
    // Everything the command does is done and written. Exiting here, rather than by dropping the
    // runtime, keeps a finished command from waiting on background work it no longer needs (a pool
    // connection being opened, a blocking task): CI once saw a command print its result and then hang
    // for a minute.
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}
