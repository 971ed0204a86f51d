//! The data directory and the files in it hold personal data (the SQLite database, the development SMS
//! outbox) and the data key: the directory is created readable by its owner only (0700) and these files
//! are kept 0600, whatever the process umask says. SQLite gives its `-wal` and `-shm` files the mode of the
//! database file, so creating that one private is enough.

use std::path::Path;

/// Creates `dir` (and its parents) if missing, the directory itself with mode 0700.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates `file` empty if missing, and makes it readable and writable by its owner only.
pub fn private_file(file: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(file)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
