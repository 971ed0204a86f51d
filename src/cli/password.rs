//! `yimen password benchmark`: how long one password check takes here with the configured argon2id
//! parameters, to choose them and to know how many password logins a core can serve.

use crate::config::PasswordConfig;
use crate::identity::password::PasswordHasher;
use crate::secret::SecretString;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum PasswordCommand {
    /// Time password checks on one core with the configured parameters (password.memory_kib,
    /// password.iterations, password.parallelism) and print the median.
    Benchmark {
        /// How many checks to time.
        #[arg(long, default_value_t = 20)]
        count: usize,
    },
}

pub async fn run(command: PasswordCommand, config: &PasswordConfig) -> anyhow::Result<()> {
    let PasswordCommand::Benchmark { count } = command;
    let hasher = PasswordHasher::new(&PasswordConfig { max_concurrent_hashes: 1, ..config.clone() })?;
    let password = SecretString::new("benchmark-password-for-timing");
    let stored = hasher.hash(&password).await?;
    let mut times = Vec::with_capacity(count.max(1));
    for _ in 0..count.max(1) {
        let started = std::time::Instant::now();
        hasher.verify(&password, Some(&stored)).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "argon2id m={} KiB t={} p={}: {median:.1} ms per password check (median of {}; fastest {:.1} ms), \
         so one core checks at most {:.0} passwords a second",
        config.memory_kib,
        config.iterations,
        config.parallelism,
        times.len(),
        times[0],
        1000.0 / median
    );
    Ok(())
}
