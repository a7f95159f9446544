//! A small YAML tree that keeps where every node was written.
//!
//! serde-saphyr is the one YAML parser: it reads the file into this tree
//! (through [`Spanned`], with strict budgets against alias bombs and deep
//! nesting) and owns every syntax message and limit. Then
//! [`super::validate`] walks the tree and collects every problem. Mapping
//! entries are kept in order as a `Vec`, so duplicate keys survive parsing
//! and can be reported with both places.
//!
//! Two readings of the same text, by the same parser with the same options:
//! [`parse`] gives every node its position (what a problem needs to be
//! shown), [`parse_outline`] only the nodes a valid desired state keeps the
//! position of (see [`Located`]), for about a third less CPU. A caller that
//! finds a problem in an outline reads the text again with [`parse`]. An
//! outline can also hand each item of a top-level list to the caller as it
//! is read ([`ItemHook`]), so that a large file's accounts are checked one
//! by one and never held as one tree.

use std::cell::{Cell, RefCell};
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

/// Which nodes of an outline ([`parse_outline`]) get their position: the
/// nodes at most [`Located::DEPTH`] collections deep (the top level, each
/// provider's name, each account's mapping) and the first key of every
/// mapping (an account's origin is its first key's line and column).
/// Everything else is read without serde-saphyr's [`Spanned`] wrapper and
/// has [`Pos::default`].
#[derive(Clone, Copy, Debug, Default)]
struct Located {
    /// Every node (a [`parse`]), or only those above.
    outline: bool,
    /// Collections entered above the node being read.
    depth: u32,
    /// The node being read is the first key of a mapping.
    first_key: bool,
}

impl Located {
    const DEPTH: u32 = 2;
}

thread_local! {
    /// The reading in progress on this thread (set by [`read`]).
    static LOCATED: Cell<Located> = const { Cell::new(Located { outline: false, depth: 0, first_key: false }) };
    /// An outline's [`ItemHook`], while it is read.
    static ITEMS: RefCell<Option<ItemHook>> = const { RefCell::new(None) };
    /// The top-level key whose value is being read, while [`ITEMS`] is set.
    static SECTION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Takes each item of a top-level list as an outline reads it
/// ([`parse_outline`]): the list's key and the item. What it returns is kept
/// in the tree; an item it takes is not (a large file's accounts can then be
/// checked one by one instead of held whole).
pub type ItemHook = Box<dyn FnMut(&str, Node) -> Option<Node>>;

fn depth() -> u32 {
    LOCATED.with(|l| l.get().depth)
}

/// Enters a collection for the nodes read inside it; leaves it when dropped.
struct Enter;

impl Enter {
    fn new() -> Enter {
        LOCATED.with(|l| {
            let mut now = l.get();
            now.depth = now.depth.saturating_add(1);
            l.set(now);
        });
        Enter
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        LOCATED.with(|l| {
            let mut now = l.get();
            now.depth = now.depth.saturating_sub(1);
            l.set(now);
        });
    }
}

/// Whether the node about to be read gets its position (and clears the
/// first-key mark, which is for that node alone).
fn locate_next() -> bool {
    LOCATED.with(|l| {
        let mut now = l.get();
        let located = !now.outline || now.first_key || now.depth <= Located::DEPTH;
        now.first_key = false;
        l.set(now);
        located
    })
}

fn mark_first_key() {
    LOCATED.with(|l| {
        let mut now = l.get();
        now.first_key = true;
        l.set(now);
    });
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if !locate_next() {
            return Ok(Node {
                pos: Pos::default(),
                value: Value::deserialize(deserializer)?,
            });
        }
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            pos: Pos::from_location(&spanned.referenced),
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor(NoHook))
    }
}

/// Told of each finished entry of the top-level mapping ([`parse_outline`]).
trait TopHook {
    fn entry(&mut self, entries: &[(Node, Node)]);
}

struct NoHook;

impl TopHook for NoHook {
    fn entry(&mut self, _: &[(Node, Node)]) {}
}

impl<F: FnMut(&[(Node, Node)])> TopHook for F {
    fn entry(&mut self, entries: &[(Node, Node)]) {
        self(entries)
    }
}

struct ValueVisitor<H>(H);

impl<'de, H: TopHook> Visitor<'de> for ValueVisitor<H> {
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
        d.deserialize_any(self)
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
        let _inside = Enter::new();
        // A top-level list, while an outline with an item hook is read.
        let section = match depth() {
            2 => SECTION.with(|s| s.borrow_mut().take()),
            _ => None,
        };
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            let kept = match &section {
                Some(key) => ITEMS.with(|hook| match hook.borrow_mut().as_mut() {
                    Some(hook) => hook(key, item),
                    None => Some(item),
                }),
                None => Some(item),
            };
            items.extend(kept);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        let _inside = Enter::new();
        let hooked = depth() == 1 && ITEMS.with(|hook| hook.borrow().is_some());
        let mut entries = Vec::new();
        mark_first_key();
        while let Some(key) = map.next_key::<Node>()? {
            if hooked {
                SECTION.with(|s| *s.borrow_mut() = key.as_str().map(str::to_owned));
            }
            let value = map.next_value::<Node>()?;
            if hooked {
                SECTION.with(|s| s.borrow_mut().take());
            }
            entries.push((key, value));
            self.0.entry(&entries);
        }
        // A mapping without keys leaves no mark behind.
        LOCATED.with(|l| {
            let mut now = l.get();
            now.first_key = false;
            l.set(now);
        });
        // An account's mapping is kept until validation reaches it: give
        // back the room a growing Vec left unused.
        entries.shrink_to_fit();
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

/// Parses one YAML document into a tree, every node with its position. An
/// empty document is `Null`.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    read(text, Located::default(), |de| Node::deserialize(de))
}

/// Parses one YAML document like [`parse`], the same values by the same
/// parser, but with the positions of a few nodes only: those at most two
/// collections deep (the top level, provider names, list items) and the
/// first key of every mapping; the others have [`Pos::default`]. The root
/// itself is at line 1, column 1. `on_top_entry` is told of the top-level
/// mapping's entries each time one more is read; `on_item`, when given,
/// of each item of a top-level list (see [`ItemHook`]).
///
/// An outline is enough to build a valid desired state (its origins are
/// located); a problem or a syntax error found in it is to be reported
/// from [`parse`] (an error's message may differ without positions).
pub fn parse_outline(
    text: &str,
    on_top_entry: impl FnMut(&[(Node, Node)]),
    on_item: Option<ItemHook>,
) -> Result<Node, SyntaxError> {
    let outline = Located {
        outline: true,
        ..Located::default()
    };
    ITEMS.with(|hook| *hook.borrow_mut() = on_item);
    let read = read(text, outline, |de| {
        Ok(Node {
            pos: ROOT,
            value: de.deserialize_any(ValueVisitor(on_top_entry))?,
        })
    });
    ITEMS.with(|hook| hook.borrow_mut().take());
    SECTION.with(|s| s.borrow_mut().take());
    read
}

/// Where an empty document, or an outline's root, is.
const ROOT: Pos = Pos {
    offset: 0,
    len: 0,
    line: 1,
    column: 1,
};

/// Runs serde-saphyr on `text` with `located` set for this thread.
fn read<'de, F>(text: &'de str, located: Located, root: F) -> Result<Node, SyntaxError>
where
    F: for<'e> FnOnce(serde_saphyr::Deserializer<'de, 'e>) -> Result<Node, serde_saphyr::Error>,
{
    if is_only_comments(text) {
        return Ok(Node {
            pos: ROOT,
            value: Value::Null,
        });
    }
    let before = LOCATED.with(|l| l.replace(located));
    let read = serde_saphyr::with_deserializer_from_str_with_options(text, options(), root);
    LOCATED.with(|l| l.set(before));
    read.map_err(|e| {
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

    #[test]
    fn multiple_documents_are_an_error() {
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
    }
}
