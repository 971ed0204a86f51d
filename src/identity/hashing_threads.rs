//! The threads that hash passwords, and only that, at a lower scheduling priority than the threads that
//! serve requests.
//!
//! An argon2 hash takes about 18 ms of one core. On tokio's blocking pool it competed as an equal with the
//! runtime's workers, so during a burst of logins a token or UserInfo request could wait for a hash's time
//! slice. At nice 10 the kernel lets a worker that wakes for a request preempt a hash, while a hash still
//! gets all the CPU that requests leave and about a tenth of a fully busy core, so logins slow down under
//! other load but never stop. Measured back to back (bench/login/RESULTS.md), UserInfo under login load
//! got 0.5 ms faster at p50 and 0.8–2 ms at p99, with logins/s unchanged within the noise.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

/// The hashing threads' priority on the thread-priority crate's scale (0 lowest, 99 highest), which it
/// maps to niceness 10 for normal threads (0 is the default, 19 the lowest priority).
const HASHING_PRIORITY: u8 = 22;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of hashing threads fed through one queue. The threads end when this is dropped.
pub struct HashingThreads {
    jobs: Mutex<Sender<Job>>,
}

impl std::fmt::Debug for HashingThreads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashingThreads")
    }
}

impl HashingThreads {
    /// Starts `count` threads (at least one).
    pub fn start(count: usize) -> std::io::Result<Self> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..count.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new().name(format!("yimen-hash-{n}")).spawn(move || work(&queue))?;
        }
        Ok(Self { jobs: Mutex::new(jobs) })
    }

    /// Runs `job` on a hashing thread and waits for its result; None if the thread could not run it to
    /// the end (it panicked, or the threads are gone).
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = answer.send(job());
        });
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).send(job).ok()?;
        answered.await.ok()
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    lower_own_priority();
    loop {
        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
        let Ok(job) = next else { return };
        // A panicking hash fails its own request (its answer is dropped); the thread goes on.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

/// Raising one's own niceness needs no privilege. Where it is refused (a sandbox without the system
/// call), hashing goes on at normal priority; that only costs other requests some latency.
fn lower_own_priority() {
    use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};
    let priority = ThreadPriorityValue::try_from(HASHING_PRIORITY).expect("within the crate's scale");
    if let Err(error) = set_current_thread_priority(ThreadPriority::Crossplatform(priority)) {
        tracing::warn!(?error, "could not lower the priority of a password hashing thread");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calling thread's niceness, from /proc (field 19 of its stat line).
    fn own_niceness() -> i32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        after_name.split(' ').nth(16).unwrap().parse().unwrap()
    }

    #[tokio::test]
    async fn hashes_run_on_their_own_threads_below_the_priority_of_requests() {
        let threads = HashingThreads::start(2).unwrap();
        let requests = own_niceness();
        let (name, niceness) =
            threads.run(|| (std::thread::current().name().map(str::to_owned), own_niceness())).await.unwrap();
        assert_eq!(name.as_deref().map(|n| n.starts_with("yimen-hash-")), Some(true));
        assert_eq!(niceness, 10.max(requests), "the request threads run at niceness {requests}");
        assert_eq!(own_niceness(), requests, "the caller's priority is untouched");
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone_and_the_threads_go_on() {
        let threads = HashingThreads::start(1).unwrap();
        assert_eq!(threads.run(|| -> u8 { panic!("argon2 broke") }).await, None);
        assert_eq!(threads.run(|| 7).await, Some(7));
    }
}
