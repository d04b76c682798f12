//! The two object stores partcopy speaks to, and the header prefixes that differ between them.

/// An object storage service: Tencent Cloud COS or Alibaba Cloud OSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// Tencent Cloud Object Storage (`x-cos-*` headers).
    Cos,
    /// Alibaba Cloud Object Storage Service (`x-oss-*` headers).
    Oss,
}

impl Provider {
    /// Prefix of user metadata headers: `x-cos-meta-` or `x-oss-meta-`.
    pub fn meta_prefix(self) -> &'static str {
        match self {
            Provider::Cos => "x-cos-meta-",
            Provider::Oss => "x-oss-meta-",
        }
    }

    /// The lower-case short name, `cos` or `oss` (the scheme of partcopy's object URLs).
    pub fn scheme(self) -> &'static str {
        match self {
            Provider::Cos => "cos",
            Provider::Oss => "oss",
        }
    }

    /// The service's name for people: `COS` or `OSS`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Cos => "COS",
            Provider::Oss => "OSS",
        }
    }

    /// The longest object key the service accepts, in UTF-8 bytes (COS 850, OSS 1,023).
    pub fn max_key_len(self) -> usize {
        match self {
            Provider::Cos => 850,
            Provider::Oss => 1023,
        }
    }

    /// Prefix of the provider's own headers: `x-cos-` or `x-oss-`.
    pub fn header_prefix(self) -> &'static str {
        match self {
            Provider::Cos => "x-cos-",
            Provider::Oss => "x-oss-",
        }
    }
}

impl std::fmt::Display for Provider {
    /// `cos` or `oss`, as in partcopy's URLs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.scheme())
    }
}

#[cfg(test)]
mod tests {
    use super::Provider;

    #[test]
    fn prefixes_name_the_provider() {
        assert_eq!(Provider::Cos.meta_prefix(), "x-cos-meta-");
        assert_eq!(Provider::Oss.meta_prefix(), "x-oss-meta-");
        assert_eq!(Provider::Cos.header_prefix(), "x-cos-");
        assert_eq!(Provider::Oss.header_prefix(), "x-oss-");
        for p in [Provider::Cos, Provider::Oss] {
            assert!(p.meta_prefix().starts_with(p.header_prefix()));
        }
    }
}
