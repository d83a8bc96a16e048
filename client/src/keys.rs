//! Signing keys: `--private-key` or `DRAWBRIDGE_PRIVATE_KEY`, or an encrypted keystore
//! (`--keystore`, `--account`) whose password comes from `--password-file`,
//! `DRAWBRIDGE_KEYSTORE_PASSWORD` or an interactive prompt. Key material and passwords are never
//! printed, logged or put in an error message.

use std::io::IsTerminal;
use std::path::Path;
use std::str::FromStr;

use alloy::primitives::B256;
use alloy::signers::local::PrivateKeySigner;

use crate::error::ClientError;

/// Environment variable holding a hex private key.
pub const PRIVATE_KEY_ENV: &str = "DRAWBRIDGE_PRIVATE_KEY";
/// Environment variable holding the keystore password.
pub const KEYSTORE_PASSWORD_ENV: &str = "DRAWBRIDGE_KEYSTORE_PASSWORD";

/// Where the signing key comes from: the flags every Drawbridge tool shares, named as Foundry's
/// `cast` names them. An encrypted keystore (`--keystore FILE`, or `--account NAME` for
/// `~/.foundry/keystores/NAME`) wins over a plain key (`--private-key`, or
/// `DRAWBRIDGE_PRIVATE_KEY`); its password comes from `--password-file`, else
/// `DRAWBRIDGE_KEYSTORE_PASSWORD`, else a prompt on a terminal.
#[derive(Clone, clap::Args)]
pub struct KeySource {
    /// Hex private key to sign with (visible to other local users while the command runs: prefer
    /// the environment variable or a keystore).
    #[arg(
        long,
        global = true,
        env = PRIVATE_KEY_ENV,
        hide_env_values = true,
        value_name = "HEX"
    )]
    pub private_key: Option<String>,
    /// Encrypted JSON keystore to sign with.
    #[arg(
        long,
        global = true,
        env = "DRAWBRIDGE_KEYSTORE",
        value_name = "FILE",
        conflicts_with = "keystore_account"
    )]
    pub keystore: Option<std::path::PathBuf>,
    /// Keystore `NAME` in Foundry's keystore folder (~/.foundry/keystores/NAME, as `cast wallet
    /// import NAME` makes it).
    #[arg(
        id = "keystore_account",
        long = "account",
        global = true,
        value_name = "NAME"
    )]
    pub account: Option<String>,
    /// File whose first line is the keystore's password.
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySource")
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "<redacted>"),
            )
            .field("keystore", &self.keystore)
            .field("account", &self.account)
            .field("password_file", &self.password_file)
            .finish()
    }
}

impl KeySource {
    /// `--private-key`, which clap also fills from `DRAWBRIDGE_PRIVATE_KEY`; empty is none.
    fn private_key(&self) -> Option<String> {
        self.private_key.clone().filter(|k| !k.trim().is_empty())
    }

    /// The keystore file to use, if any (`--keystore`, else `--account` in Foundry's folder).
    fn keystore_path(&self) -> Result<Option<std::path::PathBuf>, ClientError> {
        if let Some(path) = &self.keystore {
            return Ok(Some(path.clone()));
        }
        let Some(name) = &self.account else {
            return Ok(None);
        };
        let home = std::env::var_os("HOME").ok_or_else(|| ClientError::Keystore {
            path: format!("~/.foundry/keystores/{name}"),
            reason: "HOME is not set".into(),
        })?;
        Ok(Some(
            std::path::PathBuf::from(home)
                .join(".foundry/keystores")
                .join(name),
        ))
    }

    /// Whether some key is configured (without loading it).
    pub fn is_configured(&self) -> bool {
        self.keystore.is_some() || self.account.is_some() || self.private_key().is_some()
    }

    /// Loads the signer, or [`ClientError::MissingKey`] when none is configured.
    pub fn load(&self) -> Result<PrivateKeySigner, ClientError> {
        if let Some(path) = self.keystore_path()? {
            let password = match &self.password_file {
                Some(file) => Some(read_password_file(file)?),
                None => std::env::var(KEYSTORE_PASSWORD_ENV).ok(),
            };
            return decrypt_keystore(&path, password, std::io::stdin().is_terminal());
        }
        match self.private_key() {
            Some(value) => parse_private_key(&value),
            None => Err(ClientError::MissingKey),
        }
    }
}

/// The first line of `file`, the password (never shown in errors).
fn read_password_file(file: &Path) -> Result<String, ClientError> {
    let text = std::fs::read_to_string(file).map_err(|e| ClientError::Keystore {
        path: file.display().to_string(),
        reason: format!("reading the password file: {e}"),
    })?;
    Ok(text.lines().next().unwrap_or_default().to_string())
}

/// Parses a hex private key. The error never contains the input.
pub fn parse_private_key(value: &str) -> Result<PrivateKeySigner, ClientError> {
    let t = value.trim();
    let hex = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ClientError::InvalidPrivateKey);
    }
    let bytes = B256::from_str(hex).map_err(|_| ClientError::InvalidPrivateKey)?;
    PrivateKeySigner::from_bytes(&bytes).map_err(|_| ClientError::InvalidPrivateKey)
}

/// Decrypts `path` with `password`, or with a password prompted for when `password` is `None` and
/// `can_prompt` (standard input is a terminal).
pub fn decrypt_keystore(
    path: &Path,
    password: Option<String>,
    can_prompt: bool,
) -> Result<PrivateKeySigner, ClientError> {
    let shown = path.display().to_string();
    let keystore_err = |reason: String| ClientError::Keystore {
        path: shown.clone(),
        reason,
    };
    if !path.is_file() {
        return Err(keystore_err("no such file".into()));
    }
    let password = match password {
        Some(p) => p,
        None if can_prompt => {
            rpassword::prompt_password(format!("Password for keystore {shown}: "))
                .map_err(|e| keystore_err(format!("reading the password: {e}")))?
        }
        None => {
            return Err(keystore_err(format!(
                "no password: set {KEYSTORE_PASSWORD_ENV} (there is no terminal to prompt on)"
            )));
        }
    };
    PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| {
        // eth-keystore reports a wrong password as a MAC mismatch.
        let text = e.to_string();
        let reason = if text.to_lowercase().contains("mac") {
            "cannot decrypt: wrong password (MAC mismatch)".to_string()
        } else {
            format!("cannot decrypt: {text}")
        };
        keystore_err(reason)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    #[test]
    fn parses_hex_keys_with_or_without_prefix() {
        let a = parse_private_key(KEY).unwrap();
        let b = parse_private_key(&KEY[2..]).unwrap();
        assert_eq!(a.address(), b.address());
        assert_eq!(
            a.address().to_string(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
    }

    #[test]
    fn bad_keys_never_echo_the_input() {
        let secretish = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff8";
        for bad in [
            secretish,
            "hello",
            "0x0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            let msg = parse_private_key(bad).unwrap_err().to_string();
            assert!(
                msg.contains("DRAWBRIDGE_PRIVATE_KEY is not a valid"),
                "{msg}"
            );
            assert!(!msg.contains(bad.get(2..10).unwrap_or(bad)), "{msg}");
        }
    }

    #[test]
    fn keystore_decrypts_with_the_right_password_only() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/fixtures/user0.keystore.json");
        let signer = decrypt_keystore(&path, Some("drawbridge test".into()), false).unwrap();
        assert_eq!(
            signer.address().to_string(),
            "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
        );
        let wrong = decrypt_keystore(&path, Some("nope".into()), false)
            .unwrap_err()
            .to_string();
        assert!(wrong.contains("wrong password"), "{wrong}");
        assert!(!wrong.contains("nope"), "{wrong}");
        let no_password = decrypt_keystore(&path, None, false)
            .unwrap_err()
            .to_string();
        assert!(
            no_password.contains("DRAWBRIDGE_KEYSTORE_PASSWORD"),
            "{no_password}"
        );
        let missing = decrypt_keystore(&path.with_extension("missing"), None, false)
            .unwrap_err()
            .to_string();
        assert!(missing.contains("no such file"), "{missing}");
    }
}
