//! Property tests for the response parsers: arbitrary and mutated bodies never panic and are
//! bounded, and well-formed documents, however they are written (namespaces, whitespace, entities,
//! CDATA, unknown elements), parse back to what was written.

use bytes::Bytes;
use partcopy_core::ops::{
    ByteRange, CompletedPart, MetadataDirective, ObjectMetadata, Operation, Reply, UploadMarker,
};
use partcopy_protocol::documents::{
    parse_complete, parse_copy_object, parse_copy_part, parse_initiate, parse_list_objects, parse_list_parts,
    parse_list_uploads, parse_tagging,
};
use partcopy_protocol::failure::{failure_from_response, parse_error_document};
use partcopy_protocol::provider::Provider;
use partcopy_protocol::response::parse_reply;
use partcopy_protocol::xml::{XmlError, MAX_BODY_BYTES};
use proptest::prelude::*;

/// Valid documents of every kind, in both dialects, to mutate.
const SEEDS: &[&str] = &[
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult xmlns=\"http://doc.oss-cn-hangzhou.aliyuncs.com\">\
     <Bucket>b</Bucket><Key>k</Key><UploadId>0004B9894A22E5B1888A1E29F823</UploadId></InitiateMultipartUploadResult>",
    "<CopyObjectResult><ETag>\"ee8de918d05640145b18f70f4c3aa602\"</ETag><CRC64>16749565679157681890</CRC64>\
     <LastModified>2026-03-04T05:06:07Z</LastModified></CopyObjectResult>",
    "<CopyPartResult><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;3E1A&quot;</ETag></CopyPartResult>",
    "   \n\n<?xml version=\"1.0\"?><CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket>\
     <Key>k</Key><ETag>\"aa-3\"</ETag></CompleteMultipartUploadResult>",
    "<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId><PartNumberMarker>0</PartNumberMarker>\
     <NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>\
     <Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag><Size>10</Size><HashCrc64ecma>5</HashCrc64ecma></Part>\
     <Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag><Size>20</Size></Part></ListPartsResult>",
    "<ListMultipartUploadsResult><Bucket>b</Bucket><EncodingType>url</EncodingType>\
     <NextKeyMarker>a%20b</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker><IsTruncated>true</IsTruncated>\
     <Upload><Key>a</Key><UploadId>u1</UploadId><Initiated>2026-01-02T03:04:05.000Z</Initiated></Upload>\
     <Upload><Key>a%20b</Key><UploadId>u2</UploadId><StorageClass>IA</StorageClass></Upload></ListMultipartUploadsResult>",
    "<Tagging><TagSet><Tag><Key>a</Key><Value>1 &amp; 2</Value></Tag><Tag><Key><![CDATA[<k>]]></Key><Value/></Tag></TagSet></Tagging>",
    "<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>NoSuchUpload</Code><Message>m</Message><Resource>r</Resource>\
     <RequestId>id</RequestId><TraceId>t</TraceId></Error>",
    "<Error><Code>AccessDenied</Code><Message>m</Message><RequestId>id</RequestId><HostId>h</HostId><EC>0002-00000080</EC></Error>",
];

/// Fragments a mutation may splice in: markup that stresses the reader.
const FRAGMENTS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "&",
    ";",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "&#xD800;",
    "&bogus;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?xml version=\"1.0\"?>",
    "<!DOCTYPE x [<!ENTITY a 'b'>]>",
    "&a;",
    "<Error>",
    "</Error>",
    "<Part>",
    "</Part>",
    "<PartNumber>",
    "</PartNumber>",
    "<ETag>",
    "xmlns:x=\"u\"",
    "<x:ETag>",
    "\u{0}",
    "\u{feff}",
    "é",
    "\r\n",
    "99999999999999999999999",
    "-1",
    "true",
    "<a b=\"c>",
    "<a b='&lt;'/>",
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Splice(usize, usize),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        2 => (any::<usize>(), proptest::collection::vec(0u8..0x80, 1..8))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        3 => (any::<usize>(), 0..FRAGMENTS.len()).prop_map(|(i, f)| Mutation::Splice(i, f)),
        1 => (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        2 => (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(doc: &mut Vec<u8>, m: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    match m {
        Mutation::Flip(i, b) => {
            if !doc.is_empty() {
                let i = i % doc.len();
                // Stay in ASCII: arbitrary_bytes_never_panic already covers invalid UTF-8.
                doc[i] ^= (b & 0x7f) | 1;
            }
        }
        Mutation::Insert(i, v) => {
            let i = at(*i, doc.len());
            doc.splice(i..i, v.iter().copied());
        }
        Mutation::Splice(i, f) => {
            let i = at(*i, doc.len());
            doc.splice(i..i, FRAGMENTS[*f].bytes());
        }
        Mutation::Delete(i, n) => {
            let i = at(*i, doc.len());
            let end = (i + n).min(doc.len());
            doc.drain(i..end);
        }
        Mutation::Duplicate(i, n) => {
            let i = at(*i, doc.len());
            let end = (i + n).min(doc.len());
            let copy = doc[i..end].to_vec();
            doc.splice(i..i, copy);
        }
        Mutation::Truncate(i) => {
            let i = at(*i, doc.len());
            doc.truncate(i);
        }
    }
}

fn operations() -> Vec<Operation> {
    vec![
        Operation::HeadSource,
        Operation::GetSourceTagging,
        Operation::PutCopy {
            source_etag: Some("\"e\"".into()),
            directive: MetadataDirective::Replace,
            metadata: ObjectMetadata::default(),
            storage_class: None,
            keep_tags: false,
            tags: vec![],
            encryption: None,
        },
        Operation::Initiate {
            metadata: ObjectMetadata::default(),
            tags: vec![],
            storage_class: None,
            encryption: None,
        },
        Operation::UploadPartCopy {
            upload_id: "u".into(),
            part_number: 1,
            range: ByteRange { first: 0, last: 1 },
            source_etag: "\"e\"".into(),
        },
        Operation::ListParts {
            upload_id: "u".into(),
            marker: Some(1),
            max_parts: Some(1000),
        },
        Operation::Complete {
            upload_id: "u".into(),
            parts: vec![CompletedPart {
                number: 1,
                etag: "\"e\"".into(),
            }]
            .into(),
        },
        Operation::Abort {
            upload_id: "u".into(),
        },
        Operation::ListUploads {
            prefix: "a".into(),
            after: Some(UploadMarker {
                key: "a".into(),
                upload_id: "u1".into(),
            }),
            max_uploads: Some(2),
        },
        Operation::ListObjects {
            prefix: "a".into(),
            marker: Some("a".into()),
            max_keys: Some(2),
        },
    ]
}

/// Runs every parser and every operation's `parse_reply` on `body`; none may panic.
fn exercise(body: &[u8]) {
    let bytes = Bytes::copy_from_slice(body);
    let _ = parse_initiate(body);
    let _ = parse_copy_object(body);
    let _ = parse_copy_part(body);
    let _ = parse_complete(body);
    let _ = parse_list_parts(body);
    let _ = parse_list_uploads(body);
    let _ = parse_list_objects(body);
    let _ = parse_tagging(body);
    let _ = parse_error_document(body);
    for provider in [Provider::Cos, Provider::Oss] {
        for status in [200u16, 204, 404, 503] {
            let response = http::Response::builder()
                .status(status)
                .header("etag", "\"h\"")
                .header("content-length", "1")
                .body(bytes.clone())
                .unwrap();
            for op in operations() {
                match parse_reply(provider, &op, &response) {
                    Ok(reply) => {
                        // Only a success status can give a reply, and a listed page never claims a
                        // next marker that does not advance.
                        assert!(status < 300);
                        if let Reply::Parts {
                            next_marker: Some(n), ..
                        } = reply
                        {
                            assert!(n > 1);
                        }
                    }
                    Err(f) => {
                        assert_eq!(f.status, Some(status));
                        assert!(!f.code.is_empty());
                    }
                }
            }
            let _ = failure_from_response(provider, true, &response);
        }
    }
}

/// A text escaped in one of the ways XML allows.
fn write_text(out: &mut String, text: &str, style: u8) {
    if style % 3 == 2 && !text.contains("]]>") {
        out.push_str("<![CDATA[");
        out.push_str(text);
        out.push_str("]]>");
        return;
    }
    for c in text.chars() {
        match (c, style % 3) {
            ('&', _) => out.push_str("&amp;"),
            ('<', _) => out.push_str("&lt;"),
            ('>', 0) => out.push_str("&gt;"),
            ('"', 0) => out.push_str("&quot;"),
            ('\'', 0) => out.push_str("&apos;"),
            (c, 1) if !c.is_ascii_alphanumeric() => out.push_str(&format!("&#x{:x};", c as u32)),
            (c, _) => out.push(c),
        }
    }
}

/// A value as the services send it: no surrounding whitespace, no control characters.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "\"[0-9a-f]{32}(-[0-9]{1,5})?\"",
        "[^\\s\\p{C}]([^\\p{C}]{0,20}[^\\s\\p{C}])?",
    ]
}

#[derive(Debug, Clone)]
struct Layout {
    prefix: Option<&'static str>,
    indent: &'static str,
    lead: usize,
    style: u8,
    unknown: bool,
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        prop_oneof![Just(None), Just(Some("s3")), Just(Some("x"))],
        prop_oneof![Just(""), Just("\n  "), Just("\r\n\t")],
        0usize..300,
        any::<u8>(),
        any::<bool>(),
    )
        .prop_map(|(prefix, indent, lead, style, unknown)| Layout {
            prefix,
            indent,
            lead,
            style,
            unknown,
        })
}

impl Layout {
    fn name(&self, local: &str) -> String {
        match self.prefix {
            Some(p) => format!("{p}:{local}"),
            None => local.to_owned(),
        }
    }

    fn open_root(&self, out: &mut String, local: &str) {
        out.push_str(&" ".repeat(self.lead));
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        out.push_str(self.indent);
        let ns = match self.prefix {
            Some(p) => format!(" xmlns:{p}=\"http://doc.example.invalid/\""),
            None => " xmlns=\"http://doc.example.invalid/\"".to_owned(),
        };
        out.push_str(&format!("<{}{ns}>", self.name(local)));
        if self.unknown {
            out.push_str(self.indent);
            out.push_str("<Owner><ID>qcs::cam::uin/1</ID><ETag>decoy</ETag><Size>x</Size></Owner><Flag/>");
        }
    }

    fn leaf(&self, out: &mut String, local: &str, text: &str) {
        out.push_str(self.indent);
        out.push_str(&format!("<{}>", self.name(local)));
        write_text(out, text, self.style);
        out.push_str(&format!("</{}>", self.name(local)));
    }

    fn close(&self, out: &mut String, local: &str) {
        out.push_str(self.indent);
        out.push_str(&format!("</{}>", self.name(local)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&body);
    }

    #[test]
    fn mutated_documents_never_panic(
        seed in 0..SEEDS.len(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let mut doc = SEEDS[seed].as_bytes().to_vec();
        for m in &mutations {
            apply(&mut doc, m);
        }
        exercise(&doc);
    }

    #[test]
    fn head_headers_never_panic_and_metadata_is_sorted(
        headers in proptest::collection::vec(
            (
                prop_oneof![
                    Just("content-length".to_string()),
                    Just("etag".to_string()),
                    Just("x-cos-hash-crc64ecma".to_string()),
                    Just("x-oss-hash-crc64ecma".to_string()),
                    Just("content-type".to_string()),
                    Just("expires".to_string()),
                    "x-(cos|oss)-meta-[a-z0-9-]{1,8}",
                ],
                proptest::collection::vec(
                    // Bytes a header value may hold: visible ASCII, space, tab and obs-text.
                    prop_oneof![0x20u8..0x7f, Just(b'\t'), 0x80u8..=0xff],
                    0..24,
                ),
            ),
            0..12,
        ),
    ) {
        let mut b = http::Response::builder().status(200);
        for (name, value) in &headers {
            b = b.header(name.as_str(), http::HeaderValue::from_bytes(value).unwrap());
        }
        let response = b.body(Bytes::new()).unwrap();
        for provider in [Provider::Cos, Provider::Oss] {
            match parse_reply(provider, &Operation::HeadSource, &response) {
                Ok(Reply::Head(info)) => {
                    let keys: Vec<_> = info.metadata.user.iter().map(|(k, _)| k.clone()).collect();
                    let mut sorted = keys.clone();
                    sorted.sort();
                    prop_assert_eq!(&keys, &sorted);
                    for k in keys {
                        prop_assert_eq!(k.to_ascii_lowercase(), k);
                    }
                }
                Ok(other) => prop_assert!(false, "not a Head reply: {:?}", other),
                Err(f) => prop_assert_eq!(f.code, "InvalidResponse"),
            }
        }
    }

    #[test]
    fn list_parts_round_trips(
        parts in proptest::collection::vec((1u32..=10_000, value(), any::<u64>()), 0..40),
        truncated in any::<bool>(),
        next in proptest::option::of(1u32..=10_000),
        lay in layout(),
    ) {
        let mut doc = String::new();
        lay.open_root(&mut doc, "ListPartsResult");
        lay.leaf(&mut doc, "IsTruncated", if truncated { "true" } else { "false" });
        if let Some(n) = next {
            lay.leaf(&mut doc, "NextPartNumberMarker", &n.to_string());
        }
        for (number, etag, size) in &parts {
            doc.push_str(lay.indent);
            doc.push_str(&format!("<{}>", lay.name("Part")));
            lay.leaf(&mut doc, "PartNumber", &number.to_string());
            lay.leaf(&mut doc, "ETag", etag);
            lay.leaf(&mut doc, "Size", &size.to_string());
            lay.close(&mut doc, "Part");
        }
        lay.close(&mut doc, "ListPartsResult");
        let page = parse_list_parts(doc.as_bytes()).unwrap();
        prop_assert_eq!(page.is_truncated, truncated);
        prop_assert_eq!(page.next_part_number_marker, next);
        let got: Vec<_> = page.parts.iter().map(|p| (p.number, p.etag.clone(), p.size)).collect();
        prop_assert_eq!(got, parts);
    }

    #[test]
    fn tagging_and_error_round_trip(
        tags in proptest::collection::vec(("[^\\p{C}]{1,16}", "[^\\p{C}]{0,16}"), 0..10),
        code in "[A-Za-z]{1,24}",
        message in value(),
        lay in layout(),
    ) {
        let mut doc = String::new();
        lay.open_root(&mut doc, "Tagging");
        doc.push_str(&format!("<{}>", lay.name("TagSet")));
        for (k, v) in &tags {
            doc.push_str(&format!("<{}>", lay.name("Tag")));
            // Tags are verbatim, so no indentation inside <Tag>'s leaves.
            doc.push_str(&format!("<{}>", lay.name("Key")));
            write_text(&mut doc, k, lay.style);
            doc.push_str(&format!("</{}><{}>", lay.name("Key"), lay.name("Value")));
            write_text(&mut doc, v, lay.style);
            doc.push_str(&format!("</{}></{}>", lay.name("Value"), lay.name("Tag")));
        }
        doc.push_str(&format!("</{}>", lay.name("TagSet")));
        lay.close(&mut doc, "Tagging");
        prop_assert_eq!(parse_tagging(doc.as_bytes()).unwrap(), tags);

        let mut doc = String::new();
        lay.open_root(&mut doc, "Error");
        lay.leaf(&mut doc, "Code", &code);
        lay.leaf(&mut doc, "Message", &message);
        lay.close(&mut doc, "Error");
        let err = parse_error_document(doc.as_bytes()).unwrap();
        prop_assert_eq!(err.code, Some(code));
        prop_assert_eq!(err.message, Some(message));
    }
}

#[test]
fn every_seed_is_a_valid_document() {
    let parsed = [
        parse_initiate(SEEDS[0].as_bytes()).is_ok(),
        parse_copy_object(SEEDS[1].as_bytes()).is_ok(),
        parse_copy_part(SEEDS[2].as_bytes()).is_ok(),
        parse_complete(SEEDS[3].as_bytes()).is_ok(),
        parse_list_parts(SEEDS[4].as_bytes()).is_ok(),
        parse_list_uploads(SEEDS[5].as_bytes()).is_ok(),
        parse_tagging(SEEDS[6].as_bytes()).is_ok(),
        parse_error_document(SEEDS[7].as_bytes()).is_ok(),
        parse_error_document(SEEDS[8].as_bytes()).is_ok(),
    ];
    assert_eq!(parsed, [true; 9]);
}

#[test]
fn bodies_over_the_limit_are_refused_before_parsing() {
    let mut body = b"<ListPartsResult>".to_vec();
    while body.len() <= MAX_BODY_BYTES {
        body.extend_from_slice(b"<Part><PartNumber>1</PartNumber><ETag>e</ETag><Size>1</Size></Part>");
    }
    body.extend_from_slice(b"</ListPartsResult>");
    assert!(matches!(parse_list_parts(&body), Err(XmlError::TooLarge { .. })));
    // At the limit it is still read.
    body.truncate(MAX_BODY_BYTES - b"</ListPartsResult>".len());
    let cut = body.windows(7).rposition(|w| w == b"</Part>").unwrap() + 7;
    body.truncate(cut);
    body.extend_from_slice(b"</ListPartsResult>");
    assert!(body.len() <= MAX_BODY_BYTES);
    assert!(parse_list_parts(&body).unwrap().parts.len() > 50_000);
}
