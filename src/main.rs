//! The `ecom` binary: parse arguments, set up logging, dispatch, map the outcome to an
//! exit code (0 success, 1 error, 2 usage, 3 data checks failed).

use std::process::ExitCode;

use clap::Parser;

use ecom::cli::args::{Command, ConfigAction};
use ecom::cli::{self, Cli, Outcome, Settings, exit};

/// mimalloc instead of the system allocator: the tail allocates on its consuming thread
/// and frees on its writer thread, which glibc's arenas handle poorly (measured in
/// docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    let creates_config = matches!(
        cli.command,
        Some(Command::Config {
            action: ConfigAction::Edit | ConfigAction::Path
        })
    );
    let settings = match Settings::resolve(&cli.global, creates_config) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let _log = ecom::logging::init(
        &ecom::paths::log_dir(),
        &settings.config.log.level,
        settings.config.log.keep_files,
    );
    tracing::info!(version = ecom::VERSION, command = ?cli.command, "start");
    let result = match cli.command {
        // A panic ends the command with exit 1 and a sentence, like any other failure.
        Some(command) => {
            ecom::jobs::catching_panics("the command", || cli::dispatch(command, &settings))
        }
        None => cli::workbench(&settings, cli.demo, cli.frame_stats.clone(), started)
            .map(|()| Outcome::Success),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::DataChecksFailed) => ExitCode::from(exit::DATA_CHECKS_FAILED),
        Err(e) => {
            let message = error_chain(&e);
            tracing::error!(error = %message, "failed");
            eprintln!("error: {message}");
            ExitCode::from(exit::ERROR)
        }
    }
}

/// The error and its causes, without the repeats that wrapped library errors bring
/// (DuckDB's message appears in its error and again in the error's source).
fn error_chain(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        let noise =
            text.starts_with("Error code ") || parts.iter().any(|p| p.contains(text.trim()));
        if !noise {
            parts.push(text.trim().to_string());
        }
    }
    parts.join(": ")
}
