//! Checkpoint records and their on-disk journal format.
//!
//! A resumable job emits [`Record`]s through [`Step::Persist`](crate::job::Step::Persist): one
//! [`Record::Header`] when a multipart upload starts (naming the source's identity, the
//! destination, the upload id and the part size), then one [`Record::Part`] per finished part.
//! The driver appends [`encode`]d records to a journal file; writing is O(1) per part. A `Header`
//! starts a new journal: the driver should start a fresh file for it (write and rename), and
//! readers use only the records after the last header anyway.
//!
//! Record format (all integers little-endian):
//!
//! ```text
//! tag: u8 ('H' or 'P') | payload length: u32 | payload | CRC-32 (IEEE) of tag, length and payload: u32
//! header payload: format version u8 (3) | source str | destination str | version id opt-str |
//!                 size u64 | etag str | last-modified opt-str | upload id str | part size u64 |
//!                 initiated opt-str | source CRC-64 opt-u64 | options opt-str
//! part payload:   number u32 | etag str
//! str = length u32 + UTF-8 bytes; opt-str = 0u8, or 1u8 + str; opt-u64 = 0u8, or 1u8 + u64
//! ```
//!
//! Earlier headers still decode: version 1 ends after the part size (`initiated`, `crc64` and
//! `options` `None`), version 2 after `initiated`, version 3 after the CRC-64.
//!
//! [`decode_journal`] reads records until the first one that is incomplete or fails its checksum
//! (a torn or corrupt tail, which it drops and reports), so a crash mid-write loses at most the
//! record being written.

/// Identity of a multipart copy in progress: what is being copied, where, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The source descriptor given to the job (opaque: bucket, key, region, provider…).
    pub source: String,
    /// The destination descriptor given to the job (opaque).
    pub destination: String,
    /// The source's version id, when versioning is on.
    pub version_id: Option<String>,
    /// The source's size in bytes.
    pub size: u64,
    /// The source's ETag, exactly as HEAD returned it.
    pub etag: String,
    /// The source's `Last-Modified`, verbatim.
    pub last_modified: Option<String>,
    /// The multipart upload at the destination.
    pub upload_id: String,
    /// The plan's part size.
    pub part_size: u64,
    /// The `Date` of the service's answer to Initiate, verbatim: the service's clock when the
    /// upload began. A resumed job whose upload is gone uses it to tell an object this upload
    /// completed from an older one (see [`confirm`](crate::confirm)).
    pub initiated: Option<String>,
    /// The source's CRC-64 when the upload began, when HEAD reported one. A job copying in place
    /// whose earlier run may have completed uses it to recognise the copy (the object it HEADs is
    /// then the copy, not the source the checkpoint describes).
    pub crc64: Option<u64>,
    /// A fingerprint of the options the upload was begun with (the new object's metadata,
    /// storage class, tags and the caller's extra options), opaque; a resume under other options
    /// starts over. `None` in checkpoints written before it was recorded (format versions 1 to 3),
    /// which resume without the check.
    pub options: Option<String>,
}

/// One checkpoint record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A multipart upload started; starts a new journal.
    Header(Header),
    /// A part finished copying.
    Part {
        /// Part number.
        number: u32,
        /// The part's ETag, exactly as the service returned it.
        etag: String,
    },
}

/// Why a journal cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The first record is damaged: incomplete, failing its checksum, or unreadable.
    #[error("checkpoint journal header is {}", if *.truncated { "incomplete" } else { "corrupt" })]
    BadHeader {
        /// True when the file simply ends inside the header (a crash while writing it).
        truncated: bool,
    },
    /// The first record is not a header.
    #[error("checkpoint journal does not start with a header record")]
    NoHeader,
    /// The header was written by a newer, unknown version of the format.
    #[error("checkpoint journal format version {0} is not supported")]
    UnsupportedVersion(u8),
}

const TAG_HEADER: u8 = b'H';
const TAG_PART: u8 = b'P';
const FORMAT_VERSION: u8 = 4;
/// The first format, whose header has no `initiated` and no `crc64`.
const FORMAT_VERSION_1: u8 = 1;
/// The second format, whose header has no `crc64`.
const FORMAT_VERSION_2: u8 = 2;
/// The third format, whose header has no `options`.
const FORMAT_VERSION_3: u8 = 3;
/// Largest payload accepted: far more than any real header needs, and a guard against a corrupt
/// length field.
const MAX_PAYLOAD: usize = 1 << 20;

/// Encodes one record: self-delimiting and checksummed, ready to append to a journal.
pub fn encode(record: &Record) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(record, &mut out);
    out
}

/// Appends the encoding of `record` ([`encode`]) to `out`, so that a journal can gather records in
/// one buffer without a buffer per record.
pub fn encode_into(record: &Record, out: &mut Vec<u8>) {
    let start = out.len();
    out.reserve(
        9 + match record {
            Record::Header(h) => {
                110 + h.source.len()
                    + h.destination.len()
                    + h.etag.len()
                    + h.upload_id.len()
                    + h.initiated.as_ref().map_or(0, String::len)
                    + h.options.as_ref().map_or(0, String::len)
            }
            Record::Part { etag, .. } => 8 + etag.len(),
        },
    );
    out.push(match record {
        Record::Header(_) => TAG_HEADER,
        Record::Part { .. } => TAG_PART,
    });
    // The payload length, filled in once the payload is written.
    out.extend_from_slice(&[0; 4]);
    match record {
        Record::Header(h) => {
            out.push(FORMAT_VERSION);
            put_str(out, &h.source);
            put_str(out, &h.destination);
            put_opt(out, h.version_id.as_deref());
            out.extend_from_slice(&h.size.to_le_bytes());
            put_str(out, &h.etag);
            put_opt(out, h.last_modified.as_deref());
            put_str(out, &h.upload_id);
            out.extend_from_slice(&h.part_size.to_le_bytes());
            put_opt(out, h.initiated.as_deref());
            match h.crc64 {
                None => out.push(0),
                Some(crc) => {
                    out.push(1);
                    out.extend_from_slice(&crc.to_le_bytes());
                }
            }
            put_opt(out, h.options.as_deref());
        }
        Record::Part { number, etag } => {
            out.extend_from_slice(&number.to_le_bytes());
            put_str(out, etag);
        }
    }
    let payload_len = out.len() - start - 5;
    out[start + 1..start + 5].copy_from_slice(&len_u32(payload_len).to_le_bytes());
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// Decodes a journal: the valid records and the length of the valid prefix of `bytes`.
///
/// Reading stops at the first record that is incomplete, fails its checksum or cannot be parsed;
/// that record and everything after it are dropped (`bytes.len() - prefix` bytes). An empty input
/// gives no records.
///
/// # Errors
/// When the first record is damaged ([`JournalError::BadHeader`]), is not a header
/// ([`JournalError::NoHeader`]), or has an unknown format version.
pub fn decode_journal(bytes: &[u8]) -> Result<(Vec<Record>, usize), JournalError> {
    let mut records = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        match decode_one(&bytes[offset..]) {
            Ok((record, used)) => {
                if records.is_empty() && !matches!(record, Record::Header(_)) {
                    return Err(JournalError::NoHeader);
                }
                records.push(record);
                offset += used;
            }
            Err(Damage::Version(v)) if records.is_empty() => {
                return Err(JournalError::UnsupportedVersion(v));
            }
            Err(damage) if records.is_empty() => {
                return Err(JournalError::BadHeader {
                    truncated: matches!(damage, Damage::Truncated),
                });
            }
            Err(_) => break,
        }
    }
    Ok((records, offset))
}

/// What is wrong with a record.
enum Damage {
    Truncated,
    Corrupt,
    Version(u8),
}

fn decode_one(bytes: &[u8]) -> Result<(Record, usize), Damage> {
    let (&tag, rest) = bytes.split_first().ok_or(Damage::Truncated)?;
    if tag != TAG_HEADER && tag != TAG_PART {
        return Err(Damage::Corrupt);
    }
    let len_bytes: [u8; 4] = rest
        .get(..4)
        .ok_or(Damage::Truncated)?
        .try_into()
        .map_err(|_| Damage::Corrupt)?;
    let len = usize::try_from(u32::from_le_bytes(len_bytes)).map_err(|_| Damage::Corrupt)?;
    if len > MAX_PAYLOAD {
        return Err(Damage::Corrupt);
    }
    let total = 1 + 4 + len + 4;
    let whole = bytes.get(..total).ok_or(Damage::Truncated)?;
    let (body, crc_bytes) = whole.split_at(total - 4);
    let crc = u32::from_le_bytes(crc_bytes.try_into().map_err(|_| Damage::Corrupt)?);
    if crc32(body) != crc {
        return Err(Damage::Corrupt);
    }
    let mut reader = Reader { bytes: &body[5..] };
    let record = if tag == TAG_HEADER {
        let version = reader.u8()?;
        if !(FORMAT_VERSION_1..=FORMAT_VERSION).contains(&version) {
            return Err(Damage::Version(version));
        }
        Record::Header(Header {
            source: reader.string()?,
            destination: reader.string()?,
            version_id: reader.opt_string()?,
            size: reader.u64()?,
            etag: reader.string()?,
            last_modified: reader.opt_string()?,
            upload_id: reader.string()?,
            part_size: reader.u64()?,
            initiated: if version == FORMAT_VERSION_1 {
                None
            } else {
                reader.opt_string()?
            },
            crc64: if version <= FORMAT_VERSION_2 {
                None
            } else {
                reader.opt_u64()?
            },
            options: if version <= FORMAT_VERSION_3 {
                None
            } else {
                reader.opt_string()?
            },
        })
    } else {
        Record::Part {
            number: reader.u32()?,
            etag: reader.string()?,
        }
    };
    if !reader.bytes.is_empty() {
        return Err(Damage::Corrupt);
    }
    Ok((record, total))
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Damage> {
        if self.bytes.len() < n {
            return Err(Damage::Corrupt);
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, Damage> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, Damage> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes(b.try_into().map_err(|_| Damage::Corrupt)?))
    }

    fn u64(&mut self) -> Result<u64, Damage> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().map_err(|_| Damage::Corrupt)?))
    }

    fn string(&mut self) -> Result<String, Damage> {
        let len = usize::try_from(self.u32()?).map_err(|_| Damage::Corrupt)?;
        let b = self.take(len)?;
        String::from_utf8(b.to_vec()).map_err(|_| Damage::Corrupt)
    }

    fn opt_string(&mut self) -> Result<Option<String>, Damage> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.string()?)),
            _ => Err(Damage::Corrupt),
        }
    }

    fn opt_u64(&mut self) -> Result<Option<u64>, Damage> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.u64()?)),
            _ => Err(Damage::Corrupt),
        }
    }
}

fn len_u32(len: usize) -> u32 {
    // Strings come from HEAD replies and descriptors, far below 4 GiB; saturate rather than panic.
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&len_u32(s.len()).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// CRC-32 (IEEE 802.3, as in zlib and PNG).
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c = CRC_TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Record {
        Record::Header(Header {
            source: "cos://src-1250000000/a b+c".into(),
            destination: "cos://dst-1250000000/é".into(),
            version_id: None,
            size: 123_456_789,
            etag: "\"abc\"".into(),
            last_modified: Some("Sat, 21 Nov 2026 10:00:00 GMT".into()),
            upload_id: "u-1".into(),
            part_size: 8 << 20,
            initiated: Some("Sat, 21 Nov 2026 10:00:01 GMT".into()),
            crc64: Some(0x0123_4567_89AB_CDEF),
            options: Some("9:directive4:copy\n4:tags6:follow\n".into()),
        })
    }

    /// `encode(&header())`, format version 4.
    const HEADER_BYTES: &str = "48ce000000041a000000636f733a2f2f7372632d313235303030303030302f6120622b6317000000636f733a2f2f6473742d313235303030303030302fc3a90015cd5b0700000000050000002261626322011d0000005361742c203231204e6f7620323032362031303a30303a303020474d5403000000752d310000800000000000011d0000005361742c203231204e6f7620323032362031303a30303a303120474d5401efcdab89674523010121000000393a646972656374697665343a636f70790a343a74616773363a666f6c6c6f770a258b3c97";

    /// A header as format version 3 wrote it: `header()` without `options`.
    const HEADER_V3_BYTES: &str = "48a8000000031a000000636f733a2f2f7372632d313235303030303030302f6120622b6317000000636f733a2f2f6473742d313235303030303030302fc3a90015cd5b0700000000050000002261626322011d0000005361742c203231204e6f7620323032362031303a30303a303020474d5403000000752d310000800000000000011d0000005361742c203231204e6f7620323032362031303a30303a303120474d5401efcdab896745230162b1f3a7";

    /// A header as format version 2 wrote it: `header()` without `crc64`.
    const HEADER_V2_BYTES: &str = "489f000000021a000000636f733a2f2f7372632d313235303030303030302f6120622b6317000000636f733a2f2f6473742d313235303030303030302fc3a90015cd5b0700000000050000002261626322011d0000005361742c203231204e6f7620323032362031303a30303a303020474d5403000000752d310000800000000000011d0000005361742c203231204e6f7620323032362031303a30303a303120474d5485708d9c";

    /// A header as format version 1 wrote it: `header()` without `initiated` and `crc64`.
    const HEADER_V1_BYTES: &str = "487d000000011a000000636f733a2f2f7372632d313235303030303030302f6120622b6317000000636f733a2f2f6473742d313235303030303030302fc3a90015cd5b0700000000050000002261626322011d0000005361742c203231204e6f7620323032362031303a30303a303020474d5403000000752d3100008000000000002651d1d6";

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn round_trip_and_torn_tail() {
        let records = vec![
            header(),
            Record::Part {
                number: 2,
                etag: "\"p2\"".into(),
            },
            Record::Part {
                number: 1,
                etag: "\"p1\"".into(),
            },
        ];
        let mut bytes: Vec<u8> = records.iter().flat_map(encode).collect();
        assert_eq!(decode_journal(&bytes), Ok((records.clone(), bytes.len())));
        let full = bytes.len();
        bytes.truncate(full - 3);
        let last_len = encode(&records[2]).len();
        assert_eq!(
            decode_journal(&bytes),
            Ok((records[..2].to_vec(), full - last_len))
        );
    }

    /// The bytes on disk, pinned: journals written by earlier versions must still decode.
    #[test]
    fn encoding_is_stable_and_appends() {
        let part = Record::Part {
            number: 7,
            etag: "\"e\"".into(),
        };
        let expected_part = "500b00000007000000030000002265225966e614";
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(hex(&encode(&part)), expected_part);
        let mut out = b"xyz".to_vec();
        encode_into(&header(), &mut out);
        encode_into(&part, &mut out);
        let header_bytes = encode(&header());
        assert_eq!(&out[..3], b"xyz");
        assert_eq!(&out[3..3 + header_bytes.len()], &header_bytes[..]);
        assert_eq!(hex(&out[3 + header_bytes.len()..]), expected_part);
        assert_eq!(hex(&header_bytes), HEADER_BYTES);
    }

    /// Journals of format versions 1 (no `initiated`, `crc64` or `options`), 2 (no `crc64` or
    /// `options`) and 3 (no `options`) still resume.
    #[test]
    fn earlier_headers_decode_without_what_they_lack() {
        let bytes = |hex: &str| -> Vec<u8> {
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect()
        };
        let Record::Header(mut expected) = header() else {
            unreachable!()
        };
        expected.options = None;
        let v3 = bytes(HEADER_V3_BYTES);
        assert_eq!(
            decode_journal(&v3),
            Ok((vec![Record::Header(expected.clone())], v3.len()))
        );
        expected.crc64 = None;
        let v2 = bytes(HEADER_V2_BYTES);
        assert_eq!(
            decode_journal(&v2),
            Ok((vec![Record::Header(expected.clone())], v2.len()))
        );
        expected.initiated = None;
        let v1 = bytes(HEADER_V1_BYTES);
        assert_eq!(
            decode_journal(&v1),
            Ok((vec![Record::Header(expected)], v1.len()))
        );
        // A version from the future is refused, not misread.
        let mut future = encode(&header());
        future[5] = 5;
        let crc_at = future.len() - 4;
        let crc = crc32(&future[..crc_at]);
        future[crc_at..].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(decode_journal(&future), Err(JournalError::UnsupportedVersion(5)));
    }

    #[test]
    fn damaged_header_is_an_error() {
        let bytes = encode(&header());
        assert_eq!(
            decode_journal(&bytes[..bytes.len() - 1]),
            Err(JournalError::BadHeader { truncated: true })
        );
        let mut flipped = bytes.clone();
        flipped[10] ^= 0x40;
        assert_eq!(
            decode_journal(&flipped),
            Err(JournalError::BadHeader { truncated: false })
        );
        let part = encode(&Record::Part {
            number: 1,
            etag: "x".into(),
        });
        assert_eq!(decode_journal(&part), Err(JournalError::NoHeader));
        assert_eq!(decode_journal(&[]), Ok((vec![], 0)));
    }
}
