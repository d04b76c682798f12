//! Small XML helpers: a response document builder and the Complete request parser.

use quick_xml::events::Event;
use quick_xml::Reader;

/// Builds an XML response document element by element.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// A document with the XML declaration.
    pub fn new() -> Self {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        }
    }

    /// Opens `<name>`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// Closes `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// Writes `<name>text</name>` with `text` escaped.
    pub fn element(&mut self, name: &str, text: impl AsRef<str>) -> &mut Self {
        self.open(name);
        self.out
            .push_str(&quick_xml::escape::partial_escape(text.as_ref()));
        self.close(name)
    }

    /// The finished document.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.out)
    }
}

/// One `<Part>` of a CompleteMultipartUpload request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletePart {
    /// `PartNumber`.
    pub number: u32,
    /// `ETag`, as sent (quotes included if sent).
    pub etag: String,
}

/// The body of a CompleteMultipartUpload request could not be understood.
#[derive(Debug, Clone, thiserror::Error)]
#[error("malformed CompleteMultipartUpload body")]
pub struct MalformedXml;

/// Parses `<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>…</CompleteMultipartUpload>`.
///
/// # Errors
/// [`MalformedXml`] when the document is not well-formed or a part lacks a number or ETag.
pub fn parse_complete(body: &[u8]) -> Result<Vec<CompletePart>, MalformedXml> {
    let text = std::str::from_utf8(body).map_err(|_| MalformedXml)?;
    let mut reader = Reader::from_str(text);
    // Sized from the body: a part takes about 80 bytes of XML.
    let mut parts = Vec::with_capacity(body.len() / 64);
    // The open elements, as tags rather than names: nothing is allocated per element.
    let mut path: Vec<Tag> = Vec::with_capacity(4);
    let mut number: Option<u32> = None;
    let mut etag: Option<String> = None;
    let mut saw_root = false;
    loop {
        match reader.read_event().map_err(|_| MalformedXml)? {
            Event::Start(start) => {
                let name = start.local_name();
                let tag = match AsRef::<str>::as_ref(&name) {
                    "CompleteMultipartUpload" => Tag::Root,
                    "Part" => Tag::Part,
                    "PartNumber" => Tag::PartNumber,
                    "ETag" => Tag::Etag,
                    _ => Tag::Other,
                };
                if path.is_empty() {
                    saw_root = tag == Tag::Root;
                }
                if tag == Tag::Part {
                    number = None;
                    etag = None;
                }
                path.push(tag);
            }
            Event::End(_) if path.pop() == Some(Tag::Part) => match (number.take(), etag.take()) {
                (Some(n), Some(e)) => parts.push(CompletePart { number: n, etag: e }),
                _ => return Err(MalformedXml),
            },
            Event::Text(text) => {
                let content = text.xml10_content();
                let value = content.trim();
                match path.last() {
                    Some(Tag::PartNumber) => number = Some(value.parse().map_err(|_| MalformedXml)?),
                    Some(Tag::Etag) => etag.get_or_insert_with(String::new).push_str(value),
                    _ => {}
                }
            }
            Event::GeneralRef(reference) => {
                // An entity such as &quot; inside an ETag.
                let resolved = match AsRef::<str>::as_ref(&reference) {
                    "quot" => "\"",
                    "amp" => "&",
                    "apos" => "'",
                    "lt" => "<",
                    "gt" => ">",
                    _ => "",
                };
                if path.last() == Some(&Tag::Etag) {
                    etag.get_or_insert_with(String::new).push_str(resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root || !path.is_empty() {
        return Err(MalformedXml);
    }
    Ok(parts)
}

/// The elements [`parse_complete`] tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Root,
    Part,
    PartNumber,
    Etag,
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parts() {
        let body = br#"<?xml version="1.0"?><CompleteMultipartUpload>
            <Part><PartNumber>1</PartNumber><ETag>"abc"</ETag></Part>
            <Part><ETag>&quot;def&quot;</ETag><PartNumber>2</PartNumber></Part>
        </CompleteMultipartUpload>"#;
        let parts = parse_complete(body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].number, 1);
        assert_eq!(parts[1].number, 2);
        assert_eq!(parts[0].etag, "\"abc\"");
        assert_eq!(parts[1].etag, "\"def\"");
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_complete(b"<Nope/>").is_err());
        assert!(parse_complete(b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>").is_err());
        assert!(parse_complete(b"<CompleteMultipartUpload><Part>").is_err());
    }
}
