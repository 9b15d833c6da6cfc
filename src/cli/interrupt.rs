//! Ctrl+C in headless mode: the first press asks the running job to stop cleanly (it
//! commits what it has and skips the rest); a second press exits at once with 130.

use crate::jobs::CancelToken;

/// A token that Ctrl+C cancels, for the command's job.
pub fn cancel_on_ctrl_c() -> CancelToken {
    let token = CancelToken::new();
    let cancel = token.clone();
    let spawned = std::thread::Builder::new()
        .name("ctrl-c".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if tokio::signal::ctrl_c().await.is_ok() {
                    eprintln!("stopping after the current step (Ctrl+C again to abort)");
                    cancel.cancel();
                }
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            });
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no Ctrl+C handler");
    }
    token
}
