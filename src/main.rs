//! The `yimen` binary: parses the command line and hands over to the library.

#![forbid(unsafe_code)]

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = yimen::cli::Cli::parse();
    // On the heap: the whole program's future is too large for the main thread's stack in debug builds.
    match Box::pin(yimen::cli::run(cli)).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
