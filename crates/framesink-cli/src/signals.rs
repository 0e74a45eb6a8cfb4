//! Signals of the `framesink` binary. SIGINT and SIGTERM ask the encode loop
//! to stop reading and finish the file (as ffmpeg does on Ctrl-C); a second
//! one exits at once, leaving the fragmented file, which plays up to its last
//! fragment. SIGXFSZ is ignored, so that a file-size limit is an EFBIG error
//! with a message rather than a silent death.
//!
//! Windows has no such signals: its console calls a handler, on a thread of
//! its own, for Ctrl-C, Ctrl-Break and the closing of the console window. They
//! stop the loop the same way, Ctrl-C and Ctrl-Break as SIGINT (exit 130) and
//! a closing console as SIGTERM (143), so that statuses and messages match.

use std::sync::atomic::{AtomicI32, Ordering};

/// The first stopping signal received, 0 if none.
static STOP: AtomicI32 = AtomicI32::new(0);

/// What a second stop request prints before exiting at once.
#[cfg(any(unix, windows))]
const SECOND: &[u8] = b"framesink: second signal: stopping now; the file is left fragmented (it plays up to its last fragment)\n";

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
        // SAFETY: write(2) and _exit(2) are async-signal-safe; SECOND is valid for its length.
        unsafe {
            libc::write(2, SECOND.as_ptr().cast(), SECOND.len());
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
    #[cfg(windows)]
    console::install();
}

/// The console control handler of Windows. The few kernel32 functions it
/// needs are declared here rather than through a crate of bindings.
#[cfg(windows)]
mod console {
    use super::{SECOND, STOP};
    use std::ffi::c_void;
    use std::ptr::null_mut;
    use std::sync::atomic::{AtomicPtr, Ordering};

    type Handle = *mut c_void;
    type Bool = i32;
    const TRUE: Bool = 1;
    const FALSE: Bool = 0;
    const CTRL_C_EVENT: u32 = 0;
    const CTRL_BREAK_EVENT: u32 = 1;
    const CTRL_CLOSE_EVENT: u32 = 2;
    const STD_ERROR_HANDLE: u32 = -12i32 as u32;
    const DUPLICATE_SAME_ACCESS: u32 = 2;

    #[link(name = "kernel32")]
    extern "system" {
        fn SetConsoleCtrlHandler(
            handler: Option<extern "system" fn(u32) -> Bool>,
            add: Bool,
        ) -> Bool;
        fn GetCurrentProcess() -> Handle;
        fn GetCurrentThread() -> Handle;
        fn DuplicateHandle(
            source_process: Handle,
            source: Handle,
            target_process: Handle,
            target: *mut Handle,
            access: u32,
            inherit: Bool,
            options: u32,
        ) -> Bool;
        fn CancelSynchronousIo(thread: Handle) -> Bool;
        fn GetStdHandle(which: u32) -> Handle;
        fn WriteFile(
            file: Handle,
            buf: *const u8,
            len: u32,
            written: *mut u32,
            overlapped: *mut c_void,
        ) -> Bool;
        fn TerminateProcess(process: Handle, code: u32) -> Bool;
    }

    /// A real handle of the thread that reads the input (null if none).
    static MAIN: AtomicPtr<c_void> = AtomicPtr::new(null_mut());

    extern "system" fn on_event(event: u32) -> Bool {
        let sig = match event {
            CTRL_C_EVENT | CTRL_BREAK_EVENT => 2,
            CTRL_CLOSE_EVENT => 15,
            // Log-off and shut-down: the default handling.
            _ => return FALSE,
        };
        if STOP.swap(sig, Ordering::SeqCst) != 0 {
            let mut written = 0;
            // SAFETY: the standard error handle may be null or invalid, then
            // WriteFile fails harmlessly; SECOND is valid for its length and
            // `written` for a u32. TerminateProcess on our own pseudo-handle
            // ends the process without running anything else, as _exit does.
            unsafe {
                WriteFile(
                    GetStdHandle(STD_ERROR_HANDLE),
                    SECOND.as_ptr(),
                    SECOND.len() as u32,
                    &mut written,
                    null_mut(),
                );
                TerminateProcess(GetCurrentProcess(), 128 + sig as u32);
            }
        }
        // A read of stdin blocks until data comes (a pipe from a slow
        // producer): cancel it so that the loop sees the request (the main
        // thread reads; the writer's own threads write the movie). A read
        // started just after this is not cancelled; Unix has the same window.
        let main = MAIN.load(Ordering::SeqCst);
        if !main.is_null() {
            // SAFETY: `main` is a thread handle duplicated at install time
            // and never closed; with no I/O pending, this only fails.
            unsafe { CancelSynchronousIo(main) };
        }
        if event == CTRL_CLOSE_EVENT {
            // Windows ends the process as soon as this returns (or after its
            // time-out, about 5 s): let the main thread finish the movie first.
            loop {
                std::thread::sleep(std::time::Duration::from_secs(60));
            }
        }
        TRUE
    }

    pub(super) fn install() {
        let mut main: Handle = null_mut();
        // SAFETY: GetCurrentThread's pseudo-handle means "the calling thread"
        // wherever it is used: duplicate it into a real handle for the
        // handler's thread. `main` is valid for writing one handle.
        let ok = unsafe {
            let process = GetCurrentProcess();
            DuplicateHandle(
                process,
                GetCurrentThread(),
                process,
                &mut main,
                0,
                FALSE,
                DUPLICATE_SAME_ACCESS,
            )
        };
        if ok != 0 {
            MAIN.store(main, Ordering::SeqCst);
        }
        // SAFETY: on_event has the signature of a HandlerRoutine and lives
        // as long as the process.
        unsafe { SetConsoleCtrlHandler(Some(on_event), TRUE) };
    }
}
