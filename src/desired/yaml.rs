//! A small YAML tree that keeps where every node was written.
//!
//! The file is first read into this tree (with strict budgets against alias
//! bombs and deep nesting) by the first of three readers that accepts it:
//! [`super::fast_yaml`] (one pass over the bytes, for the block-style subset
//! desired-state files are written in), [`events`] (granit-parser's events),
//! then serde-saphyr, which owns every error message and limit. Then [`super::validate`] walks it and collects
//! every problem. Mapping entries are kept in order as a `Vec`, so duplicate
//! keys survive parsing and can be reported with both places.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Spanned};

/// Where a node was written: byte range plus 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    /// Byte offset of the node's first byte.
    pub offset: u32,
    /// Length in bytes (0 when the parser gives no length, e.g. for collections).
    pub len: u32,
    pub line: u32,
    pub column: u32,
}

impl Pos {
    fn from_location(loc: &serde_saphyr::Location) -> Pos {
        let span = loc.span();
        Pos {
            offset: clamp(span.byte_offset().unwrap_or(0)),
            len: clamp(span.byte_len().unwrap_or(0)),
            line: clamp(loc.line()),
            column: clamp(loc.column()),
        }
    }

    /// The byte range as (offset, len).
    pub fn range(&self) -> (usize, usize) {
        (self.offset as usize, self.len as usize)
    }
}

fn clamp(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// One YAML node with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

/// The content of a node.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// Integers that do not fit an i64, kept as their decimal text.
    BigInt(String),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in file order; duplicates are kept.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// What the node is, for "expected X, found Y" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::BigInt(_) => "an integer",
            Value::Float(_) => "a decimal number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// [`Node::key_text`], borrowed when the key is a string (the usual case).
    pub fn key_name(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.value {
            Value::Str(s) => Some(std::borrow::Cow::Borrowed(s)),
            _ => self.key_text().map(std::borrow::Cow::Owned),
        }
    }

    /// Text of a scalar key: strings as-is, numbers and booleans as written.
    pub fn key_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::BigInt(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Null => Some(String::new()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            pos: Pos::from_location(&spanned.referenced),
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::BigInt(v.to_string()),
        })
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::BigInt(v.to_string()),
        })
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::BigInt(v.to_string()),
        })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        match std::str::from_utf8(v) {
            Ok(s) => Ok(Value::Str(s.to_owned())),
            Err(_) => Err(E::custom("binary data is not supported here")),
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

/// A document that could not be read as YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// Where, when the parser knows.
    pub pos: Option<Pos>,
    /// True when a safety limit (nesting, aliases, size) stopped parsing.
    pub limit: bool,
}

/// Nesting deeper than this is refused (the file format needs 4 levels).
pub const MAX_DEPTH: usize = 32;
/// Alias (`*name`) uses allowed in one document.
pub const MAX_ALIASES: usize = 1_000;
/// Nodes (scalars, lists, mappings) allowed in one document: room for
/// well over 100,000 accounts.
pub const MAX_NODES: usize = 20_000_000;
/// Events replayed through aliases, in total.
pub const MAX_REPLAYED_EVENTS: usize = 100_000;

fn options() -> serde_saphyr::Options {
    let budget = serde_saphyr::budget! {
        max_depth: MAX_DEPTH,
        max_aliases: MAX_ALIASES,
        max_anchors: MAX_ALIASES,
        max_nodes: MAX_NODES,
        max_events: MAX_NODES.saturating_mul(2),
        max_documents: 1,
        max_recorded_anchor_events: MAX_REPLAYED_EVENTS,
        max_recorded_anchor_bytes: 16 * 1024 * 1024,
        max_total_scalar_bytes: 128 * 1024 * 1024,
    };
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = MAX_REPLAYED_EVENTS;
    alias_limits.max_replay_stack_depth = MAX_DEPTH;
    serde_saphyr::options! {
        budget: budget,
        alias_limits: alias_limits,
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        with_snippet: false,
    }
}

/// Parses one YAML document into a tree. An empty document is `Null`.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    if text.trim().is_empty() || is_only_comments(text) {
        return Ok(Node {
            pos: Pos {
                offset: 0,
                len: 0,
                line: 1,
                column: 1,
            },
            value: Value::Null,
        });
    }
    if let Some(root) = super::fast_yaml::parse(text) {
        return Ok(root);
    }
    if let Some(root) = events::parse(text) {
        return Ok(root);
    }
    parse_with_serde(text)
}

/// The general reader: serde-saphyr with its budgets, alias handling and
/// error messages. [`events::parse`] hands every unusual document here.
fn parse_with_serde(text: &str) -> Result<Node, SyntaxError> {
    serde_saphyr::from_str_with_options::<Node>(text, options()).map_err(|e| {
        use serde_saphyr::MessageFormatter as _;
        let message = serde_saphyr::UserMessageFormatter
            .format_message(&e)
            .into_owned();
        let limit = message.contains("budget")
            || message.contains("limit")
            || message.contains("depth")
            || message.contains("alias");
        let pos = e
            .location()
            .filter(|l| l.line() > 0)
            .map(|l| Pos::from_location(&l));
        SyntaxError {
            message,
            pos,
            limit,
        }
    })
}

/// The event reader: builds the tree straight from the parser's events, for
/// documents [`super::fast_yaml`] refuses (CRLF line ends, multi-line
/// scalars, block scalars, ...).
///
/// It reads the common case only — one document of mappings, lists and
/// untagged scalars, no anchors, aliases, tags or merge keys, shallow nesting —
/// and answers `None` for anything else (including every syntax error), so
/// that [`parse_with_serde`] reads it with its limits and messages. For
/// documents it accepts, the tree is the same as serde-saphyr's (checked by
/// the tests below on every example and invalid-file fixture).
pub(crate) mod events {
    use std::borrow::Cow;

    use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span};

    use super::{Node, Pos, Value, MAX_DEPTH, MAX_NODES};

    /// Deeper documents are left to the general reader (the format needs 4 levels).
    pub(crate) const FAST_DEPTH: usize = if MAX_DEPTH < 16 { MAX_DEPTH } else { 16 };

    enum Frame {
        Seq(Pos, Vec<Node>),
        Map(Pos, Vec<(Node, Node)>, Option<Node>),
    }

    pub(crate) fn parse(text: &str) -> Option<Node> {
        let budget = serde_saphyr::Budget::default();
        let mut options = serde_saphyr::granit_parser::Options::default();
        options.simple_key_max_lookahead = budget.simple_key_max_lookahead;
        options.flow_nesting_limit = budget.flow_nesting_limit;
        options.emit_comments = false;
        let parser = Parser::new_from_str_with_options(text, options);
        let mut stack: Vec<Frame> = Vec::new();
        let mut root: Option<Node> = None;
        let mut documents = 0usize;
        let mut nodes = 0usize;
        for item in parser {
            let (event, span) = item.ok()?;
            let node = match event {
                Event::StreamStart | Event::DocumentEnd => continue,
                Event::StreamEnd => break,
                Event::DocumentStart(..) => {
                    documents += 1;
                    if documents > 1 {
                        return None;
                    }
                    continue;
                }
                Event::Scalar(value, style, anchor, tag) => {
                    if anchor != 0 || tag.is_some() {
                        return None;
                    }
                    let in_key = matches!(stack.last(), Some(Frame::Map(_, _, None)));
                    if in_key && style == ScalarStyle::Plain && value == "<<" {
                        return None;
                    }
                    Node {
                        pos: pos(&span),
                        value: scalar(value, style)?,
                    }
                }
                Event::SequenceStart(_, anchor, ref tag)
                | Event::MappingStart(_, anchor, ref tag) => {
                    if anchor != 0 || tag.is_some() || stack.len() >= FAST_DEPTH {
                        return None;
                    }
                    nodes += 1;
                    if nodes > MAX_NODES {
                        return None;
                    }
                    stack.push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Seq(pos(&span), Vec::new())
                    } else {
                        Frame::Map(pos(&span), Vec::new(), None)
                    });
                    continue;
                }
                Event::SequenceEnd => match stack.pop()? {
                    Frame::Seq(pos, items) => Node {
                        pos,
                        value: Value::Seq(items),
                    },
                    Frame::Map(..) => return None,
                },
                Event::MappingEnd => match stack.pop()? {
                    Frame::Map(pos, mut entries, None) => {
                        // An account's mapping is kept until validation ends:
                        // give back the room a growing Vec left unused.
                        entries.shrink_to_fit();
                        Node {
                            pos,
                            value: Value::Map(entries),
                        }
                    }
                    _ => return None,
                },
                // Aliases, anchors, comments and anything newer.
                _ => return None,
            };
            nodes += 1;
            if nodes > MAX_NODES {
                return None;
            }
            match stack.last_mut() {
                None => {
                    if root.is_some() {
                        return None;
                    }
                    root = Some(node);
                }
                Some(Frame::Seq(_, items)) => items.push(node),
                Some(Frame::Map(_, entries, pending)) => match pending.take() {
                    None => *pending = Some(node),
                    Some(key) => entries.push((key, node)),
                },
            }
        }
        if !stack.is_empty() || documents != 1 {
            return None;
        }
        root
    }

    /// The position serde-saphyr reports for a node with this span.
    fn pos(span: &Span) -> Pos {
        let start = span.start.byte_offset();
        let end = span.end.byte_offset();
        let (offset, len) = match (start, end) {
            (Some(s), Some(e)) => (s, e.saturating_sub(s)),
            _ => (0, 0),
        };
        Pos {
            offset: clamp(offset),
            len: clamp(len),
            line: clamp(span.start.line()),
            column: clamp(span.start.col().saturating_add(1)),
        }
    }

    fn clamp(v: usize) -> u32 {
        u32::try_from(v).unwrap_or(u32::MAX)
    }

    /// An untagged scalar resolved as serde-saphyr resolves it (YAML 1.2 core
    /// schema, strict booleans, leading-zero and underscored numbers kept as
    /// text). `None` for number-like spellings other than plain decimal integers.
    pub(crate) fn scalar(value: Cow<'_, str>, style: ScalarStyle) -> Option<Value> {
        if style != ScalarStyle::Plain {
            return Some(Value::Str(value.into_owned()));
        }
        if matches!(&*value, "" | "~" | "null" | "Null" | "NULL") {
            return Some(Value::Null);
        }
        let t = value.trim_matches([' ', '\t', '\r', '\n']);
        match t {
            "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
            "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
            _ => {}
        }
        let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
        let number_like = unsigned
            .as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_digit() || *b == b'.');
        if !number_like {
            return Some(Value::Str(value.into_owned()));
        }
        // Plain decimal integers: `0`, `-12`, `5634` (at most 18 digits fit an i64).
        let digits = t.strip_prefix('-').unwrap_or(t);
        let simple = !digits.is_empty()
            && digits.len() <= 18
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if simple {
            return t.parse::<i64>().ok().map(Value::Int);
        }
        // Text no integer or float parser could read (IP addresses, UUIDs,
        // versions like 1.2.3) stays a string, as serde-saphyr keeps it.
        if !number_shaped(t) {
            return Some(Value::Str(value.into_owned()));
        }
        None
    }

    /// A superset of what serde-saphyr's integer parser (decimal, `0x`, `0o`,
    /// `0b`, underscores) and Rust's float parser (`1.5`, `.5`, `1e3`, `inf`,
    /// `nan`) accept, after an optional sign.
    fn number_shaped(t: &str) -> bool {
        let s = t.strip_prefix(['+', '-']).unwrap_or(t);
        let b = s.as_bytes();
        let prefixed =
            b.len() >= 2 && b[0] == b'0' && matches!(b[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B');
        if prefixed
            && b[2..]
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            return true;
        }
        if !s.is_empty() && b.iter().all(|c| c.is_ascii_digit() || *c == b'_') {
            return true;
        }
        if ["inf", "infinity", "nan"]
            .iter()
            .any(|w| s.eq_ignore_ascii_case(w))
        {
            return true;
        }
        // Digits with at most one dot, then an optional exponent.
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(at) => (&s[..at], Some(&s[at + 1..])),
            None => (s, None),
        };
        let mut dots = 0;
        let mut digits = 0;
        for c in mantissa.bytes() {
            match c {
                b'.' => dots += 1,
                b'0'..=b'9' => digits += 1,
                _ => return false,
            }
        }
        if dots > 1 || digits == 0 {
            return false;
        }
        match exponent {
            None => true,
            Some(e) => {
                let e = e.strip_prefix(['+', '-']).unwrap_or(e);
                !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit())
            }
        }
    }
}

fn is_only_comments(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    })
}

/// Every readable `*.yaml` file of these folders of the repository, as
/// (path, text): the fixtures the readers are compared on.
#[cfg(test)]
pub(crate) fn fixture_texts(dirs: &[&str]) -> Vec<(std::path::PathBuf, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.extension().is_some_and(|e| e == "yaml") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    out.push((path, text));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(node: &Node) -> &[(Node, Node)] {
        match &node.value {
            Value::Map(m) => m,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn scalars_keep_their_types_and_byte_spans() {
        let text = "a: 5634\nb: \"5634\"\nc: true\nd: 007\ne: ~\nf: 1.5\ng: héllo\nh: yes\n";
        let root = parse(text).unwrap();
        let m = map(&root);
        let get = |k: &str| m.iter().find(|(key, _)| key.as_str() == Some(k)).unwrap();
        assert_eq!(get("a").1.value, Value::Int(5634));
        assert_eq!(get("b").1.value, Value::Str("5634".into()));
        assert_eq!(get("c").1.value, Value::Bool(true));
        assert_eq!(get("d").1.value, Value::Str("007".into()));
        assert_eq!(get("e").1.value, Value::Null);
        assert_eq!(get("f").1.value, Value::Float(1.5));
        assert_eq!(get("h").1.value, Value::Str("yes".into()));
        let (k, v) = get("g");
        let (o, l) = v.pos.range();
        assert_eq!(&text[o..o + l], "héllo");
        assert_eq!((k.pos.line, k.pos.column), (7, 1));
        assert_eq!((v.pos.line, v.pos.column), (7, 4));
        let (k, v) = get("b");
        let (o, l) = v.pos.range();
        assert!(text[o..o + l].contains("5634"), "{:?}", &text[o..o + l]);
        let (o, l) = k.pos.range();
        assert_eq!(&text[o..o + l], "b");
    }

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        let root = parse("a: 1\nb: 2\na: 3\n").unwrap();
        let keys: Vec<_> = map(&root)
            .iter()
            .map(|(k, _)| k.as_str().unwrap())
            .collect();
        assert_eq!(keys, ["a", "b", "a"]);
    }

    #[test]
    fn empty_and_comment_only_documents_are_null() {
        assert_eq!(parse("").unwrap().value, Value::Null);
        assert_eq!(parse("# nothing\n\n").unwrap().value, Value::Null);
    }

    #[test]
    fn syntax_error_is_located() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.is_some(), "{err:?}");
        assert!(!err.limit, "{err:?}");
    }

    #[test]
    fn alias_bomb_is_refused_quickly() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            text.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        let start = std::time::Instant::now();
        let err = parse(&text).unwrap_err();
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        assert!(err.limit, "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(&text).unwrap_err();
        assert!(err.limit, "{err:?}");
        let text = (0..200)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect::<String>();
        let err = parse(&text).unwrap_err();
        assert!(err.limit, "{err:?}");
    }

    /// Both readers on one text: where the fast one answers, it must give
    /// exactly serde-saphyr's tree. Returns whether the fast one answered.
    fn same_tree(text: &str) -> bool {
        match events::parse(text) {
            Some(fast) => {
                let slow = parse_with_serde(text);
                assert_eq!(Ok(fast), slow, "the readers differ on:\n{text}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn the_fast_reader_builds_the_same_tree_as_serde_saphyr() {
        let snippets = [
            "a: 1\n",
            "a: -0\nb: 0\nc: -12\nd: 123456789012345678\ne: 1234567890123456789\n",
            "a: 007\nb: 1_000\nc: 0x1F\nd: +5\ne: 1.5\nf: .5\ng: 1e3\nh: .inf\ni: -.inf\nj: .nan\n",
            "a: true\nb: False\nc: TRUE\nd: yes\ne: on\nf: ~\ng: null\nh: NULL\ni:\nj: ''\nk: \"\"\n",
            "a: inf\nb: nan\nc: infinity\nd: e5\ne: 12ab\nf: 1.2.3\ng: -\nh: --\ni: 5634x\n",
            "a: 203.0.113.10\nb: 198.51.100.0/24\nc: 0b6f5a86-6c57-4c55-9a0e-3c1a1ad0d2f1\nd: 1.2.3\n",
            "a: 1e\nb: 1e+\nc: 1.5e3x\nd: 0x\ne: 0xZZ\nf: 0b2\ng: 1..2\nh: .\ni: +.\nj: 1e5.5\nk: -0b1\n",
            "a: 12:30\nb: 1-2\nc: 1,5\nd: 1 2\ne: 10%\nf: 1.0.0-rc1\ng: +1.5.6\nh: 1e1e1\n",
            "- [1, 'two', \"three\", {four: 4}]\n- {a: [], b: {}}\n- - x\n  - y\n",
            "key: |\n  line one\n  line two\n\nfolded: >\n  a\n  b\nplain: multi\n  line\n",
            "? complex\n: value\n1: one\ntrue: yes\n~: null key\n[a, b]: list key\n",
            "a: héllo wörld\n\"b\": 'c'\n'd': \"e\\u00e9\"\n",
            "---\na: 1\n...\n",
            "---\n",
            "just a string\n",
            "- 1\n- 2\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 5\n",
            "<<: {a: 1}\nb: 2\n",
            "a:\n  b:\n    c:\n      d:\n        e: [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]\n",
            "a: 1\na: 2\n",
            "a: [1, 2\n",
            "a: 1\n---\nb: 2\n",
        ];
        for text in snippets {
            same_tree(text);
        }
        let fast = fixture_texts(&["examples", "examples/sandbox", "tests/invalid"])
            .iter()
            .filter(|(_, text)| same_tree(text))
            .count();
        assert!(fast >= 30, "the fast reader read only {fast} fixture files");
    }

    #[test]
    fn unusual_documents_are_left_to_serde_saphyr() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 5\n",
            "<<: {a: 1}\n",
            "a: 007\n",
            "a: 1.5\n",
            "a: [1, 2\n",
            "a: 1\n---\nb: 2\n",
        ] {
            assert!(events::parse(text).is_none(), "{text}");
        }
        assert!(events::parse("a: [x, {b: 5634}]\nc: \"d\"\n").is_some());
    }

    #[test]
    fn multiple_documents_are_an_error() {
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
    }
}
