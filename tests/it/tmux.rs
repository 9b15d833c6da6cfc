//! Driving the real binary in tmux: send keys, capture the screen, wait for text.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;

pub struct Session(pub String);

impl Session {
    /// Starts the real `ecom --db DB` in a detached tmux session of `size` (columns,
    /// rows) named after `label`, with its own state folder beside the warehouse and
    /// `env` (e.g. `VISUAL=…`) before the command.
    pub fn start(label: &str, db: &Path, size: (u16, u16), env: &str) -> Session {
        let home = db.parent().unwrap().join(format!("home-{label}"));
        let env = format!("{env} XDG_STATE_HOME={}", home.display());
        Self::run(label, size, &env, &format!("--db {}", db.display()))
    }

    /// Starts the real `ecom --remote URL --token TOKEN` (a workbench reading a running
    /// server), its state folder beside `db`.
    pub fn start_remote(
        label: &str,
        db: &Path,
        url: &str,
        token: &str,
        size: (u16, u16),
    ) -> Session {
        let home = db.parent().unwrap().join(format!("home-{label}"));
        let env = format!("XDG_STATE_HOME={}", home.display());
        Self::run(
            label,
            size,
            &env,
            &format!("--remote {url} --token {token}"),
        )
    }

    /// Starts `env ecom ARGS` (any arguments) in a detached tmux session of `size`.
    pub fn run(label: &str, size: (u16, u16), env: &str, args: &str) -> Session {
        let have_tmux = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            have_tmux,
            "tmux is needed for the end-to-end tests (scripts/test.sh installs it)"
        );
        let name = format!("ecom-{label}-{}", std::process::id());
        let command = format!("{env} {} {args}", cargo_bin("ecom").display());
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name])
            .args(["-x", &size.0.to_string(), "-y", &size.1.to_string()])
            .arg(&command)
            .status()
            .unwrap();
        assert!(status.success());
        Session(name)
    }

    /// Presses `q` and waits until the workbench is gone (the warehouse is free again
    /// for the next test); panics after 10 s.
    pub fn quit(&self) {
        self.keys(&["q"]);
        let started = Instant::now();
        while self.alive() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "q did not quit"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.0])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// Waits until the screen shows `text`; panics with the screen after 20 s.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("`{text}`"), |screen| screen.contains(text))
    }

    /// Waits until `ready(screen)`; panics with the screen after 20 s.
    pub fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{what} never appeared; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.0])
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}
