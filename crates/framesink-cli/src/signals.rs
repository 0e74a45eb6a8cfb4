//! Signals of the `framesink` binary. SIGINT and SIGTERM ask the encode loop
//! to stop reading and finish the file (as ffmpeg does on Ctrl-C); a second
//! one exits at once, leaving the fragmented file, which plays up to its last
//! fragment. SIGXFSZ is ignored, so that a file-size limit is an EFBIG error
//! with a message rather than a silent death.

use std::sync::atomic::{AtomicI32, Ordering};

/// The first stopping signal received, 0 if none.
static STOP: AtomicI32 = AtomicI32::new(0);

/// The signal that asked to stop (SIGINT 2, SIGTERM 15), if any.
pub fn stop_requested() -> Option<i32> {
    match STOP.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// The thread that reads the input (a blocking read there must be woken).
#[cfg(unix)]
static MAIN: std::sync::OnceLock<libc::pthread_t> = std::sync::OnceLock::new();

#[cfg(unix)]
extern "C" fn on_signal(sig: libc::c_int) {
    // Async-signal-safe only: atomics, write, pthread_kill and _exit.
    if STOP.swap(sig, Ordering::SeqCst) != 0 {
        let msg = b"framesink: second signal: stopping now; the file is left fragmented (it plays up to its last fragment)\n";
        // SAFETY: write(2) and _exit(2) are async-signal-safe; msg is valid for its length.
        unsafe {
            libc::write(2, msg.as_ptr().cast(), msg.len());
            libc::_exit(128 + sig);
        }
    }
    // The kernel may run this on an encoder thread: wake the reading thread
    // (its read returns EINTR, as no handler here restarts calls).
    if let Some(&main) = MAIN.get() {
        // SAFETY: pthread_self and pthread_kill are async-signal-safe.
        unsafe {
            if libc::pthread_equal(libc::pthread_self(), main) == 0 {
                libc::pthread_kill(main, libc::SIGUSR2);
            }
        }
    }
}

#[cfg(unix)]
extern "C" fn wake(_: libc::c_int) {}

#[cfg(unix)]
fn set_handler(sig: libc::c_int, handler: libc::sighandler_t) {
    // SAFETY: a zeroed sigaction is valid; sa_flags 0 (no SA_RESTART), so a
    // blocking read is interrupted and the loop sees the request.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler;
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_flags = 0;
        libc::sigaction(sig, &action, std::ptr::null_mut());
    }
}

/// Installs the handlers (the binary calls this once, first thing, on the
/// thread that reads the input).
pub fn install() {
    #[cfg(unix)]
    {
        // SAFETY: pthread_self has no preconditions.
        let _ = MAIN.set(unsafe { libc::pthread_self() });
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        set_handler(libc::SIGINT, handler);
        set_handler(libc::SIGTERM, handler);
        set_handler(
            libc::SIGUSR2,
            wake as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
        // Past a file-size limit, writes fail with EFBIG instead of the
        // process dying silently.
        set_handler(libc::SIGXFSZ, libc::SIG_IGN);
    }
}
