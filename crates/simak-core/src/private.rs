//! Private files. The data directory holds password hashes, session and CSRF tokens, the
//! review queue and every mention collected: only the account Simak runs as may read it.
//! Databases are made 0600 and their directory 0700, also when an older version left them
//! readable by others.

use std::io;
use std::path::Path;

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Creates `dir` (and its parents) if missing and makes `dir` itself 0700.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o700)
}

/// Makes the SQLite database `path` private before it is opened: its directory 0700, the file
/// (created empty if missing, which SQLite takes as a new database) and any `-wal`, `-shm` and
/// `-journal` beside it 0600. SQLite gives the files it creates later the database's mode.
pub fn private_database(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir(dir)?;
    }
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    drop(open.open(path)?);
    set_mode(path, 0o600)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let side = std::path::PathBuf::from(side);
        if side.exists() {
            set_mode(&side, 0o600)?;
        }
    }
    Ok(())
}

/// The mode bits of `path` (for tests and checks); 0 where the platform has none.
pub fn mode(path: &Path) -> io::Result<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = std::fs::metadata(path)?;
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn databases_and_their_directory_become_private() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        set_mode(&dir, 0o755).unwrap();
        let db = dir.join("accounts.sqlite");
        std::fs::write(&db, b"").unwrap();
        set_mode(&db, 0o644).unwrap();
        let wal = dir.join("accounts.sqlite-wal");
        std::fs::write(&wal, b"").unwrap();
        set_mode(&wal, 0o644).unwrap();
        private_database(&db).unwrap();
        if cfg!(unix) {
            assert_eq!(mode(&dir).unwrap(), 0o700);
            assert_eq!(mode(&db).unwrap(), 0o600);
            assert_eq!(mode(&wal).unwrap(), 0o600);
        }
        let fresh = d.path().join("new/review.sqlite");
        private_database(&fresh).unwrap();
        if cfg!(unix) {
            assert_eq!(mode(&fresh).unwrap(), 0o600);
            assert_eq!(mode(fresh.parent().unwrap()).unwrap(), 0o700);
        }
    }
}
