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
        // `ecom open` opens the workbench, whose first frame the benchmark times.
        Some(Command::Open(args)) => {
            cli::open::run(&args, &settings, cli.frame_stats.clone(), started)
        }
        // A panic ends the command with exit 1 and a sentence, like any other failure.
        Some(command) => {
            ecom::jobs::catching_panics("the command", || cli::dispatch(command, &settings))
        }
        None => cli::workbench(&settings, cli.demo, cli.frame_stats.clone(), started)
            .map(|()| Outcome::SUCCESS),
    };
    // One policy for every front end: the outcome says the exit code and the sentence.
    let outcome = result.unwrap_or_else(|e| Outcome::from_error(e.as_ref()));
    match &outcome {
        Outcome::Succeeded { .. } => {}
        Outcome::DataChecksFailed { sentence } => {
            tracing::warn!(%sentence, "data checks failed");
            eprintln!("data check failed: {sentence}");
        }
        Outcome::Failed { sentence } | Outcome::Cancelled { summary: sentence } => {
            tracing::error!(error = %sentence, "failed");
            eprintln!("error: {sentence}");
        }
    }
    ExitCode::from(outcome.exit_code())
}
