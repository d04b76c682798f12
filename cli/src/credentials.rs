//! Credentials from the environment: `COS_SECRET_ID`, `COS_SECRET_KEY`, `COS_SESSION_TOKEN`;
//! `OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET`, `OSS_SESSION_TOKEN`.

use partcopy_protocol::credentials::Credentials;

use crate::url::Provider;

/// A required variable is unset or empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "missing {provider} credentials: set the environment variable {variable} \
     ({provider} needs {id_var} and {secret_var}; {token_var} too for temporary credentials)"
)]
pub struct MissingCredential {
    /// The variable that is missing.
    pub variable: &'static str,
    /// COS or OSS.
    pub provider: &'static str,
    id_var: &'static str,
    secret_var: &'static str,
    token_var: &'static str,
}

/// The names of a provider's variables: (key id, secret, token).
pub fn variables(provider: Provider) -> (&'static str, &'static str, &'static str) {
    match provider {
        Provider::Cos => ("COS_SECRET_ID", "COS_SECRET_KEY", "COS_SESSION_TOKEN"),
        Provider::Oss => ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"),
    }
}

/// Reads a provider's credentials through `lookup` (the environment, in the binary).
///
/// # Errors
/// [`MissingCredential`] naming the first required variable that is unset or empty.
pub fn load(
    provider: Provider,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, MissingCredential> {
    let (id_var, secret_var, token_var) = variables(provider);
    let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let missing = |variable| MissingCredential {
        variable,
        provider: provider.name(),
        id_var,
        secret_var,
        token_var,
    };
    let access_key_id = get(id_var).ok_or_else(|| missing(id_var))?;
    let secret = get(secret_var).ok_or_else(|| missing(secret_var))?;
    let credentials = Credentials::new(access_key_id, secret);
    Ok(match get(token_var) {
        Some(token) => credentials.with_session_token(token),
        None => credentials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn loads_each_provider_from_its_own_variables() {
        let lookup = env(&[
            ("COS_SECRET_ID", "AKIDcos"),
            ("COS_SECRET_KEY", "cos-secret"),
            ("OSS_ACCESS_KEY_ID", "LTAIoss"),
            ("OSS_ACCESS_KEY_SECRET", "oss-secret"),
            ("OSS_SESSION_TOKEN", "tok"),
        ]);
        let cos = load(Provider::Cos, &lookup).unwrap();
        assert_eq!(cos.access_key_id, "AKIDcos");
        assert_eq!(cos.secret(), "cos-secret");
        assert_eq!(cos.session_token, None);
        let oss = load(Provider::Oss, &lookup).unwrap();
        assert_eq!(oss.session_token.as_deref(), Some("tok"));
    }

    #[test]
    fn names_the_missing_variable() {
        let error = load(Provider::Cos, env(&[("COS_SECRET_ID", "x")])).unwrap_err();
        assert_eq!(error.variable, "COS_SECRET_KEY");
        assert!(error.to_string().contains("COS_SECRET_KEY"));
        let error = load(Provider::Oss, env(&[("OSS_ACCESS_KEY_ID", " ")])).unwrap_err();
        assert_eq!(error.variable, "OSS_ACCESS_KEY_ID");
    }
}
