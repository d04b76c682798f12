//! The CLI's errors and their exit statuses: 1 when a copy failed, 2 for bad usage or input.

use crate::credentials::MissingCredential;
use crate::meta::MetaError;
use crate::url::UrlError;

/// Exit status: the copy succeeded.
pub const EXIT_COPIED: u8 = 0;
/// Exit status: the copy failed (service error, source changed, …).
pub const EXIT_FAILED: u8 = 1;
/// Exit status: bad usage or input; nothing was copied.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status: interrupted by Ctrl-C (SIGINT), as shells report `128 + 2`.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Why `partcopy` stopped, worded for the person who ran it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// SRC or DST is not an object URL.
    #[error("{which}: {error}")]
    Url {
        /// `SRC` or `DST`.
        which: &'static str,
        /// What is wrong.
        error: UrlError,
    },
    /// A `--meta` problem found when checking them together.
    #[error(transparent)]
    Meta(#[from] MetaError),
    /// Credentials are missing from the environment.
    #[error(transparent)]
    Credentials(#[from] MissingCredential),
    /// Options that cannot work together, or out of range.
    #[error("{0}")]
    Usage(String),
    /// The copy was attempted and failed; the message carries what the service said.
    #[error("{0}")]
    Failed(String),
    /// The copy was interrupted (Ctrl-C); the message says what became of the upload and how to
    /// resume.
    #[error("{0}")]
    Interrupted(String),
}

impl CliError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Url { .. } | CliError::Meta(_) | CliError::Credentials(_) | CliError::Usage(_) => {
                EXIT_BAD_INPUT
            }
            CliError::Failed(_) => EXIT_FAILED,
            CliError::Interrupted(_) => EXIT_INTERRUPTED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_exit_2_and_copy_failures_exit_1() {
        let url = CliError::Url {
            which: "SRC",
            error: UrlError::CosAppid("b".into()),
        };
        assert_eq!(url.exit_code(), EXIT_BAD_INPUT);
        assert!(url.to_string().starts_with("SRC: COS bucket 'b' has no appid"));
        assert_eq!(CliError::Meta(MetaError::Duplicate("a".into())).exit_code(), 2);
        assert_eq!(CliError::Usage("x".into()).exit_code(), 2);
        assert_eq!(CliError::Failed("x".into()).exit_code(), EXIT_FAILED);
        assert_eq!(CliError::Interrupted("x".into()).exit_code(), 130);
    }
}
