//! Property tests of the checkpoint journal: round trips, torn and corrupted tails.

use partcopy_core::checkpoint::{decode_journal, encode, Header, JournalError, Record};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9/ +%?#-]{0,24}",
        any::<String>().prop_map(|s| s.chars().take(16).collect()),
    ]
}

fn header() -> impl Strategy<Value = Record> {
    (
        text(),
        text(),
        prop::option::of(text()),
        any::<u64>(),
        text(),
        prop::option::of(text()),
        text(),
        any::<u64>(),
        prop::option::of(text()),
        prop::option::of(any::<u64>()),
        prop::option::of(text()),
    )
        .prop_map(
            |(
                source,
                destination,
                version_id,
                size,
                etag,
                last_modified,
                upload_id,
                part_size,
                initiated,
                crc64,
                options,
            )| {
                Record::Header(Header {
                    source,
                    destination,
                    version_id,
                    size,
                    etag,
                    last_modified,
                    upload_id,
                    part_size,
                    initiated,
                    crc64,
                    options,
                })
            },
        )
}

fn part() -> impl Strategy<Value = Record> {
    (any::<u32>(), text()).prop_map(|(number, etag)| Record::Part { number, etag })
}

/// A journal: a header, then parts, maybe a later header starting over.
fn journal() -> impl Strategy<Value = Vec<Record>> {
    (
        header(),
        prop::collection::vec(prop_oneof![8 => part(), 1 => header()], 0..12),
    )
        .prop_map(|(h, rest)| std::iter::once(h).chain(rest).collect())
}

fn bytes_of(records: &[Record]) -> Vec<u8> {
    records.iter().flat_map(encode).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn round_trip(records in journal()) {
        let bytes = bytes_of(&records);
        prop_assert_eq!(decode_journal(&bytes), Ok((records, bytes.len())));
    }

    /// A journal cut anywhere yields exactly the records that were whole, or an error when the
    /// header itself is cut.
    #[test]
    fn truncated_tail(records in journal(), cut in any::<prop::sample::Index>()) {
        let bytes = bytes_of(&records);
        let cut = cut.index(bytes.len() + 1);
        let header_len = encode(&records[0]).len();
        match decode_journal(&bytes[..cut]) {
            Ok((decoded, valid)) => {
                prop_assert!(cut == 0 || cut >= header_len);
                prop_assert!(valid <= cut);
                prop_assert_eq!(&decoded[..], &records[..decoded.len()]);
                prop_assert_eq!(valid, bytes_of(&decoded).len());
                // Nothing whole was dropped: the next record did not fit.
                if decoded.len() < records.len() {
                    prop_assert!(valid + encode(&records[decoded.len()]).len() > cut);
                }
            }
            Err(e) => {
                prop_assert!(cut > 0 && cut < header_len);
                prop_assert_eq!(e, JournalError::BadHeader { truncated: true });
            }
        }
    }

    /// Damage after the header never panics and never yields a record that was not written:
    /// what decodes is a prefix of the journal, ending before the damage.
    #[test]
    fn corrupted_tail(
        records in journal(),
        at in any::<prop::sample::Index>(),
        xor in 1u8..=255,
        extra in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut bytes = bytes_of(&records);
        let header_len = encode(&records[0]).len();
        let at = at.index(bytes.len());
        bytes[at] ^= xor;
        bytes.extend_from_slice(&extra);
        match decode_journal(&bytes) {
            Ok((decoded, valid)) => {
                prop_assert!(at >= header_len);
                prop_assert!(!decoded.is_empty());
                prop_assert_eq!(&decoded[..], &records[..decoded.len()]);
                prop_assert!(valid <= at, "a damaged record was accepted");
            }
            Err(_) => prop_assert!(at < header_len),
        }
    }

    /// Arbitrary bytes never panic.
    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_journal(&bytes);
    }
}
