//! A small YAML tree that keeps where every node was written.
//!
//! serde-saphyr is the one YAML parser: it reads the file into this tree
//! (through [`Spanned`], with strict budgets against alias bombs and deep
//! nesting) and owns every syntax message and limit. Then
//! [`super::validate`] walks the tree and collects every problem. Mapping
//! entries are kept in order as a `Vec`, so duplicate keys survive parsing
//! and can be reported with both places.
//!
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
    pub value: Yaml,
}

/// The content of a node.
#[derive(Clone, Debug, PartialEq)]
pub enum Yaml {
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

impl Yaml {
    /// What the node is, for "expected X, found Y" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Yaml::Null => "nothing (null)",
            Yaml::Bool(_) => "a boolean",
            Yaml::Int(_) | Yaml::BigInt(_) => "an integer",
            Yaml::Float(_) => "a decimal number",
            Yaml::Str(_) => "a string",
            Yaml::Seq(_) => "a list",
            Yaml::Map(_) => "a mapping",
        }
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Yaml::Str(s) => Some(s),
            _ => None,
        }
    }

    /// [`Node::key_text`], borrowed when the key is a string (the usual case).
    pub fn key_name(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.value {
            Yaml::Str(s) => Some(std::borrow::Cow::Borrowed(s)),
            _ => self.key_text().map(std::borrow::Cow::Owned),
        }
    }

    /// Text of a scalar key: strings as-is, numbers and booleans as written.
    pub fn key_text(&self) -> Option<String> {
        match &self.value {
            Yaml::Str(s) => Some(s.clone()),
            Yaml::Int(i) => Some(i.to_string()),
            Yaml::BigInt(s) => Some(s.clone()),
            Yaml::Bool(b) => Some(b.to_string()),
            Yaml::Float(f) => Some(f.to_string()),
            Yaml::Null => Some(String::new()),
            Yaml::Seq(_) | Yaml::Map(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Yaml>::deserialize(deserializer)?;
        Ok(Node {
            pos: Pos::from_location(&spanned.referenced),
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Yaml {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(YamlVisitor)
    }
}

struct YamlVisitor;

impl<'de> Visitor<'de> for YamlVisitor {
    type Value = Yaml;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }
    fn visit_none<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Yaml, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Yaml, E> {
        Ok(Yaml::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Yaml, E> {
        Ok(Yaml::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Yaml, E> {
        Ok(int(i64::try_from(v), v))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Yaml, E> {
        Ok(int(i64::try_from(v), v))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Yaml, E> {
        Ok(int(i64::try_from(v), v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Yaml, E> {
        Ok(Yaml::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Yaml, E> {
        Ok(Yaml::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Yaml, E> {
        Ok(Yaml::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Yaml, E> {
        match std::str::from_utf8(v) {
            Ok(s) => Ok(Yaml::Str(s.to_owned())),
            Err(_) => Err(E::custom("binary data is not supported here")),
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Yaml, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Yaml::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Yaml, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        // Each account's mapping stays in the tree until validation reaches
        // it: give back the room a growing Vec left unused.
        entries.shrink_to_fit();
        Ok(Yaml::Map(entries))
    }
}

/// An integer: an `i64` when it fits, else its decimal text.
fn int<T: fmt::Display, E>(fits: Result<i64, E>, v: T) -> Yaml {
    match fits {
        Ok(i) => Yaml::Int(i),
        Err(_) => Yaml::BigInt(v.to_string()),
    }
}

/// A document that could not be read as YAML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// Where, when the parser knows.
    pub pos: Option<Pos>,
    /// The safety limit that stopped parsing, if one did.
    pub limit: Option<Limit>,
}

/// A safety limit of the parser (see [`options`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Nesting deeper than [`MAX_DEPTH`].
    Depth,
    /// More than one document.
    Documents,
    /// Too many aliases or anchors, or too much replayed through them.
    Aliases,
    /// Any other budget (nodes, events, scalar bytes) or a limit of the
    /// parser itself (its recursion, anchors, directives).
    Size,
}

impl Limit {
    /// The limit a parser error reports, from its variant.
    fn of(error: &serde_saphyr::Error) -> Option<Limit> {
        use serde_saphyr::budget::BudgetBreach as B;
        use serde_saphyr::granit_parser::ErrorKind as K;
        use serde_saphyr::{Error as E, ExternalMessageSource};
        match error {
            E::WithSnippet { error, .. } | E::AliasError { error, .. } => Limit::of(error),
            E::Budget { breach, .. } => Some(match breach {
                B::Depth { .. } | B::InclusionDepth { .. } => Limit::Depth,
                B::Documents { .. } => Limit::Documents,
                B::Aliases { .. }
                | B::Anchors { .. }
                | B::AliasAnchorRatio { .. }
                | B::RecordedAnchorEvents { .. }
                | B::RecordedAnchorBytes { .. } => Limit::Aliases,
                _ => Limit::Size,
            }),
            E::MultipleDocuments { .. } => Some(Limit::Documents),
            E::AliasReplayCounterOverflow { .. }
            | E::AliasReplayLimitExceeded { .. }
            | E::AliasExpansionLimitExceeded { .. }
            | E::AliasReplayStackDepthExceeded { .. } => Some(Limit::Aliases),
            E::ExternalMessage { source, .. } => match &**source {
                ExternalMessageSource::Parser(scan) => match scan.kind() {
                    K::RecursionLimitExceeded
                    | K::AnchorCountOverflow
                    | K::DirectiveByteLimitExceeded { .. }
                    | K::TooManyReservedDirectiveParams { .. } => Some(Limit::Size),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    }
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

/// Parses one YAML document into a tree, every node with its position. An
/// empty document is `Null`.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    if is_only_comments(text) {
        return Ok(Node {
            pos: Pos {
                line: 1,
                column: 1,
                ..Pos::default()
            },
            value: Yaml::Null,
        });
    }
    serde_saphyr::from_str_with_options(text, options()).map_err(|e: serde_saphyr::Error| {
        use serde_saphyr::MessageFormatter as _;
        SyntaxError {
            message: serde_saphyr::UserMessageFormatter
                .format_message(&e)
                .into_owned(),
            pos: e
                .location()
                .filter(|l| l.line() > 0)
                .map(|l| Pos::from_location(&l)),
            limit: Limit::of(&e),
        }
    })
}

fn is_only_comments(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(node: &Node) -> &[(Node, Node)] {
        match &node.value {
            Yaml::Map(m) => m,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn scalars_keep_their_types_and_byte_spans() {
        let text = "a: 5634\nb: \"5634\"\nc: true\nd: 007\ne: ~\nf: 1.5\ng: héllo\nh: yes\n";
        let root = parse(text).unwrap();
        let m = map(&root);
        let get = |k: &str| m.iter().find(|(key, _)| key.as_str() == Some(k)).unwrap();
        assert_eq!(get("a").1.value, Yaml::Int(5634));
        assert_eq!(get("b").1.value, Yaml::Str("5634".into()));
        assert_eq!(get("c").1.value, Yaml::Bool(true));
        assert_eq!(get("d").1.value, Yaml::Str("007".into()));
        assert_eq!(get("e").1.value, Yaml::Null);
        assert_eq!(get("f").1.value, Yaml::Float(1.5));
        assert_eq!(get("h").1.value, Yaml::Str("yes".into()));
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
        assert_eq!(parse("").unwrap().value, Yaml::Null);
        assert_eq!(parse("# nothing\n\n").unwrap().value, Yaml::Null);
    }

    #[test]
    fn syntax_error_is_located() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.is_some(), "{err:?}");
        assert_eq!(err.limit, None, "{err:?}");
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
        // A generous bound: unbounded alias expansion would take hours.
        assert!(start.elapsed() < std::time::Duration::from_secs(60));
        assert_eq!(err.limit, Some(Limit::Aliases), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(&text).unwrap_err();
        assert!(err.limit.is_some(), "{err:?}");
        let text = (0..200)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect::<String>();
        let err = parse(&text).unwrap_err();
        assert_eq!(err.limit, Some(Limit::Depth), "{err:?}");
    }

    #[test]
    fn multiple_documents_are_an_error() {
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.limit, Some(Limit::Documents), "{err:?}");
    }
}
