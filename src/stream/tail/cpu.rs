//! CPU time of the calling thread and of the whole process, so the tail can say which of
//! its stages its time went to (`TailStatus::stages`). Reading a thread's CPU clock is a
//! system call, so the stages are timed per burst of messages or per batch, never per
//! message.

/// CPU seconds used so far by `clock` (a `CLOCK_*_CPUTIME_ID`).
fn seconds(clock: libc::clockid_t) -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; the CPU-time clocks always exist on
    // Linux, and on failure `t` stays zero, which only blurs a figure.
    unsafe { libc::clock_gettime(clock, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// CPU seconds the calling thread has used.
pub(super) fn thread_seconds() -> f64 {
    seconds(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU seconds every thread of the process has used.
pub(super) fn process_seconds() -> f64 {
    seconds(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// Splits the calling thread's CPU time into consecutive stages: each [`Lap::to`] adds
/// the time since the previous one to a stage's total.
pub(super) struct Lap(f64);

impl Lap {
    pub(super) fn start() -> Self {
        Self(thread_seconds())
    }

    pub(super) fn to(&mut self, stage: &mut f64) {
        let now = thread_seconds();
        *stage += now - self.0;
        self.0 = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laps_add_up_to_the_threads_time_and_never_go_back() {
        let before = thread_seconds();
        let mut lap = Lap::start();
        let (mut spin, mut rest) = (0.0, 0.0);
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        lap.to(&mut spin);
        lap.to(&mut rest);
        let total = thread_seconds() - before;
        assert!(spin > 0.0 && rest >= 0.0);
        assert!(spin + rest <= total + 1e-9);
        assert!(process_seconds() >= total);
    }
}
