//! Property tests of the file journal on damaged files: whatever bytes a checkpoint file holds,
//! opening it returns its valid records (cutting a torn tail off the file) or a typed error, and
//! never panics. Core's record decoder has its own properties; these cover the file handling.

use std::path::PathBuf;

use partcopy_core::checkpoint::{encode, Header, Record};
use partcopy_transport_hyper::journal::OpenError;
use partcopy_transport_hyper::{FileJournal, Journal};
use proptest::prelude::*;

fn header() -> Record {
    Record::Header(Header {
        source: "cos://a-1250000000/k@ap-guangzhou".into(),
        destination: "cos://b-1250000000/k@ap-guangzhou".into(),
        version_id: None,
        size: 1 << 30,
        etag: "\"e\"".into(),
        last_modified: Some("Sat, 21 Nov 2026 22:00:00 GMT".into()),
        upload_id: "upload".into(),
        part_size: 1 << 20,
        initiated: Some("Sat, 21 Nov 2026 22:00:01 GMT".into()),
        crc64: Some(7),
        options: None,
    })
}

fn part(number: u32) -> Record {
    Record::Part {
        number,
        etag: format!("\"etag-{number}\""),
    }
}

fn path(case: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("partcopy-journal-props-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{case}.ckpt"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Arbitrary bytes: a typed error or records, never a panic; a file that opened reopens to the
    /// same records (the torn tail was cut off).
    #[test]
    fn arbitrary_files_open_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let path = path("arbitrary");
        std::fs::write(&path, &bytes).unwrap();
        match FileJournal::open(&path) {
            Ok((journal, records)) => {
                drop(journal);
                let (_, again) = FileJournal::open(&path).unwrap();
                prop_assert_eq!(again, records);
            }
            Err(OpenError::Corrupt { path: named, .. }) => prop_assert_eq!(named, path.clone()),
            Err(other) => prop_assert!(false, "unexpected {other}"),
        }
    }

    /// A valid journal cut anywhere and followed by garbage keeps every record before the cut, and
    /// appends after reopening follow them.
    #[test]
    fn a_journal_cut_anywhere_keeps_its_whole_records(
        parts in 0u32..20,
        cut in any::<prop::sample::Index>(),
        garbage in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let records: Vec<Record> = std::iter::once(header()).chain((1..=parts).map(part)).collect();
        let encoded: Vec<Vec<u8>> = records.iter().map(encode).collect();
        let whole: Vec<u8> = encoded.concat();
        let header_len = encoded[0].len();
        let cut = header_len + cut.index(whole.len() - header_len + 1);
        let mut bytes = whole[..cut].to_vec();
        bytes.extend_from_slice(&garbage);
        let path = path("cut");
        std::fs::write(&path, &bytes).unwrap();
        let (mut journal, opened) = FileJournal::open(&path).unwrap();
        // Every record wholly before the cut survives.
        let mut end = 0;
        let whole_records = encoded.iter().take_while(|e| { end += e.len(); end <= cut }).count();
        prop_assert!(opened.len() >= whole_records);
        prop_assert_eq!(&opened[..whole_records], &records[..whole_records]);
        if garbage.is_empty() {
            prop_assert_eq!(opened.len(), whole_records);
        }
        journal.append(&part(999)).unwrap();
        drop(journal);
        let (_, reopened) = FileJournal::open(&path).unwrap();
        prop_assert_eq!(reopened.last(), Some(&part(999)));
        prop_assert_eq!(&reopened[..reopened.len() - 1], &opened[..]);
    }
}
