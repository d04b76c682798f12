//! Property tests (bounded fuzzing) of everything the command line parses: object URLs, sizes,
//! durations, `--meta` pairs and whole argument lists. Bad input is a typed error, never a panic.

use clap::Parser;
use proptest::prelude::*;

use crate::args::{Cli, Command};
use crate::duration::parse_duration;
use crate::meta::{check_meta, parse_meta};
use crate::settings::from_args;
use crate::size::{format_size, parse_size};
use crate::url::{parse_object_url, Provider};

/// Strings shaped like the inputs: mostly near-misses of valid ones, some arbitrary Unicode.
fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9:/._=%+ -]{0,40}",
        "(cos|oss|COS|s3|)(://|:/|//)?[a-z0-9-]{0,12}(-[0-9]{0,12})?(/.{0,20})?",
        "[0-9]{0,25}(\\.[0-9]{0,25})?\\s?(B|K|KiB|KB|M|MiB|MB|G|GiB|GB|T|TiB|TB|ms|s|m|min|h|x|)",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn object_urls_parse_or_fail_cleanly(text in texty()) {
        if let Ok(url) = parse_object_url(&text) {
            prop_assert!(!url.key.is_empty() && !url.bucket.is_empty());
            prop_assert!(url.key.len() <= url.provider.max_key_len());
            // What parses prints back to an equal URL.
            prop_assert_eq!(parse_object_url(&url.to_string()), Ok(url));
        }
    }

    #[test]
    fn any_key_is_taken_verbatim(key in any::<String>().prop_filter("non-empty", |k| !k.is_empty()),
                                 cos in any::<bool>()) {
        let text = if cos {
            format!("cos://bucket-1250000000/{key}")
        } else {
            format!("oss://bucket/{key}")
        };
        match parse_object_url(&text) {
            Ok(url) => {
                prop_assert_eq!(&url.key, &key);
                prop_assert_eq!(url.provider, if cos { Provider::Cos } else { Provider::Oss });
            }
            Err(error) => prop_assert!(key.len() > 850, "{error}"),
        }
    }

    #[test]
    fn sizes_parse_or_fail_cleanly(text in texty()) {
        if let Ok(bytes) = parse_size(&text) {
            prop_assert!(!format_size(bytes).is_empty());
        }
    }

    #[test]
    fn every_byte_count_round_trips(bytes in any::<u64>()) {
        prop_assert_eq!(parse_size(&bytes.to_string()), Ok(bytes));
        prop_assert_eq!(parse_size(&format!("{bytes}B")), Ok(bytes));
        prop_assert!(!format_size(bytes).is_empty());
    }

    #[test]
    fn durations_parse_or_fail_cleanly(text in texty()) {
        if let Ok(duration) = parse_duration(&text) {
            prop_assert!(duration.as_millis() >= 1);
            prop_assert!(duration.as_secs() <= 24 * 3600);
        }
    }

    #[test]
    fn meta_pairs_parse_or_fail_cleanly(texts in prop::collection::vec(texty(), 0..6)) {
        let mut pairs = Vec::new();
        for text in &texts {
            if let Ok((key, value)) = parse_meta(text) {
                prop_assert!(!key.is_empty() && !key.contains('='));
                prop_assert_eq!(key.to_ascii_lowercase(), key.clone());
                prop_assert!(value.bytes().all(|b| (0x20..0x7f).contains(&b)));
                pairs.push((key, value));
            }
        }
        if let Ok(checked) = check_meta(pairs, 64, "COS") {
            prop_assert!(checked.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn whole_command_lines_are_accepted_or_refused_cleanly(
        words in prop::collection::vec(
            prop_oneof![
                Just("--region".to_string()),
                Just("--src-region".to_string()),
                Just("--endpoint".to_string()),
                Just("--part-size".to_string()),
                Just("--threshold".to_string()),
                Just("-j".to_string()),
                Just("--max-attempts".to_string()),
                Just("--request-timeout".to_string()),
                Just("--meta".to_string()),
                Just("--metadata-directive".to_string()),
                Just("--content-type".to_string()),
                Just("--storage-class".to_string()),
                Just("cos://a-1250000000/k".to_string()),
                Just("oss://bucket/k".to_string()),
                texty(),
            ],
            0..10,
        )
    ) {
        let argv = ["partcopy", "cp"].into_iter().map(String::from).chain(words);
        if let Ok(cli) = Cli::try_parse_from(argv) {
            let Command::Cp(args) = cli.command else {
                unreachable!("argv starts with cp")
            };
            if let Err(error) = from_args(*args) {
                prop_assert_eq!(error.exit_code(), 2);
                prop_assert!(!error.to_string().is_empty());
            }
        }
    }
}
