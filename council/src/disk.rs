//! Files on disk: durable writes (fsync'd file and directory, replaced atomically) and JSON
//! files. The lowest layer of the crate: it imports nothing of it but the error type.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{CouncilError, Result};

/// Reads a JSON file.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).map_err(CouncilError::io(path))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| CouncilError::Encoding(format!("{}: {e}", path.display())))
}

/// Writes a JSON file (pretty, durably).
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(CouncilError::io(dir))?;
    }
    write_durable(path, &serde_json::to_vec_pretty(value)?)
}

/// Writes `bytes` to `path` atomically and durably (temp file, fsync, rename, fsync directory).
pub(crate) fn write_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = path.with_extension("tmp");
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(CouncilError::io(&tmp))?;
        f.write_all(bytes).map_err(CouncilError::io(&tmp))?;
        f.sync_all().map_err(CouncilError::io(&tmp))?;
    }
    fs::rename(&tmp, path).map_err(CouncilError::io(path))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(CouncilError::io(dir))?;
    Ok(())
}
